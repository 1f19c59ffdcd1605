// Commands of the AUTHENTICATED and SELECTED states (RFC 3501 §6.3, §6.4).

import type { Command } from "../proto/imap/command.ts";
import { flagList } from "../proto/imap/response.ts";
import { bad, type Ctx, type Done, existingFolder, ok, SYSTEM_FLAGS } from "./context.ts";
import { fetch } from "./fetch.ts";
import * as M from "./mailboxes.ts";
import { copyMessages, expunge, expungeDeleted, storeFlags } from "./messages.ts";
import { search } from "./search.ts";
import { MailboxView } from "./view.ts";

type AuthCommand = Exclude<Command, { name: "CAPABILITY" | "LOGOUT" | "STARTTLS" | "LOGIN" | "AUTHENTICATE" | "IDLE" }>;

export function runCommand(ctx: Ctx, cmd: Command): Promise<Done> | Done {
  const c = cmd as AuthCommand;
  switch (c.name) {
    case "NOOP":
      return ctx.view ? ctx.view.folder.refresh().then(() => ok("NOOP completed")) : ok("NOOP completed");
    case "ID": // RFC 2971 §3.1
      ctx.untagged(`* ID ("name" "Tern" "vendor" "Tern")`);
      return ok("ID completed");
    case "NAMESPACE": // RFC 2342 §5: one personal namespace
      ctx.untagged(`* NAMESPACE (("" "${M.DELIM}")) NIL NIL`);
      return ok("NAMESPACE completed");
    case "ENABLE": {
      // RFC 5161 §3.1; RFC 7162 §3.1 (CONDSTORE)
      const on = c.capabilities.filter((x) => x === "CONDSTORE");
      if (on.length) ctx.condstore = true;
      ctx.untagged(`* ENABLED${on.length ? " " + on.join(" ") : ""}`);
      return ok("ENABLE completed");
    }
    case "SELECT":
    case "EXAMINE":
      return select(ctx, c.mailbox, c.name === "EXAMINE", c.condstore);
    case "CREATE":
      return M.create(ctx, c.mailbox);
    case "DELETE":
      return M.remove(ctx, c.mailbox);
    case "RENAME":
      return M.rename(ctx, c.from, c.to);
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      return M.subscribe(ctx, c.mailbox, c.name === "SUBSCRIBE");
    case "LIST":
    case "LSUB":
      return M.list(ctx, c);
    case "STATUS":
      return M.status(ctx, c.mailbox, c.items);
    case "APPEND":
      return M.append(ctx, c.mailbox, c.flags, c.date, c.message);
    default:
      return selected(ctx, c);
  }
}

function selected(ctx: Ctx, c: AuthCommand): Promise<Done> | Done {
  if (!ctx.view) return bad(`${c.name} needs a selected mailbox`); // RFC 3501 §3.3
  switch (c.name) {
    case "CHECK":
      return ctx.view.folder.refresh().then(() => ok("CHECK completed"));
    case "CLOSE":
      return close(ctx);
    case "UNSELECT": // RFC 3691
      ctx.view = undefined;
      return ok("UNSELECT completed");
    case "EXPUNGE":
      return expunge(ctx, undefined);
    case "UID EXPUNGE":
      return expunge(ctx, c.set);
    case "SEARCH":
      return search(ctx, c.uid, c.key, c.returnModseq);
    case "FETCH":
      return fetch(ctx, c);
    case "STORE":
      return storeFlags(ctx, c);
    case "COPY":
    case "MOVE":
      return copyMessages(ctx, c.uid, c.set, c.mailbox, c.name === "MOVE");
    default:
      return bad(`unexpected command ${c.name}`);
  }
}

async function close(ctx: Ctx): Promise<Done> {
  // RFC 3501 §6.4.2: expunge silently unless read-only
  if (!ctx.view!.readOnly) await expungeDeleted(ctx, undefined);
  ctx.view = undefined;
  return ok("CLOSE completed");
}

async function select(ctx: Ctx, name: string, readOnly: boolean, condstore: boolean): Promise<Done> {
  ctx.view = undefined; // RFC 3501 §6.3.1: a failed SELECT leaves no mailbox selected
  const folder = await existingFolder(ctx, name);
  if ("status" in folder) return folder;
  await folder.refresh();
  if (condstore) ctx.condstore = true;
  const view = new MailboxView(folder, folder.name, readOnly);
  const msgs = [...view.byUid.values()];
  const keywords = new Set<string>();
  for (const m of msgs) for (const f of m.flags) if (!f.startsWith("\\")) keywords.add(f);
  const flags = [...SYSTEM_FLAGS, ...keywords];
  ctx.untagged(`* FLAGS ${flagList(flags)}`);
  ctx.untagged(`* OK [PERMANENTFLAGS ${flagList(readOnly ? [] : [...flags, "\\*"])}] flags permitted`);
  ctx.untagged(`* ${view.exists} EXISTS`);
  ctx.untagged(`* ${view.recentCount} RECENT`); // RFC 3501 §6.3.1: SELECT claimed these; EXAMINE only counts them
  const firstUnseen = view.uids.findIndex((u) => !view.byUid.get(u)!.flags.includes("\\Seen"));
  if (firstUnseen >= 0) ctx.untagged(`* OK [UNSEEN ${firstUnseen + 1}] first unseen`);
  ctx.untagged(`* OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`);
  ctx.untagged(`* OK [UIDNEXT ${folder.uidNext}] predicted next UID`);
  ctx.untagged(`* OK [HIGHESTMODSEQ ${folder.highestModseq}] highest`); // RFC 7162 §3.1.2.1
  ctx.view = view;
  return ok(`[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${readOnly ? "EXAMINE" : "SELECT"} completed`);
}
