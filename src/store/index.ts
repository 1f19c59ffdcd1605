// Public entry of the mailbox store.
//
//   const store = openMailStore(`${dataDir}/mail`, { hostname });
//   const box = await store.mailbox("alice@example.com");   // INBOX Sent Drafts Junk Trash
//   const inbox = await box.folder("INBOX"); await inbox.append(bytes);

export * from "./types.ts";
export { MaildirMailbox, MaildirStore, type MailStoreOptions, openMailStore } from "./maildir.ts";
export { DEFAULT_FOLDERS, INBOX, isValidFolderName } from "./names.ts";
