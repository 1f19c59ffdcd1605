// What a session needs to know about the server it runs in (injected; no I/O here).

export type ListenerKind = "smtp" | "submission" | "submissions";

export interface SessionPolicy {
  hostname: string;
  listener: ListenerKind;
  maxMessageSize: number;
  maxRecipients: number;
  maxErrors: number;
  maxAuthFailures: number;
  maxLineLength: number;
  /** offer AUTH and accept credentials without TLS */
  allowInsecureAuth: boolean;
  /** a certificate is configured, STARTTLS can be offered */
  tlsAvailable: boolean;
  /** submission ports: AUTH before MAIL */
  requireAuth: boolean;
  isLocalDomain(domain: string): boolean;
  /** for recipients in local domains: does the mailbox exist? */
  localUserExists(address: string): boolean;
  isTrusted(ip: string): boolean;
  /** resolves to the authenticated identity, or null */
  authenticate(user: string, password: string): Promise<string | null>;
  /** delay before answering the nth failed AUTH (ms) */
  authFailureDelayMs(failures: number): number;
}
