// POP3 command parsing (RFC 1939 §3, RFC 2449, RFC 2595, RFC 5034). Pure: a decoded
// command line in, a discriminated union out. Keywords are case-insensitive.

export type Pop3Command =
  | { verb: "USER"; name: string }
  | { verb: "PASS"; password: string }
  | { verb: "APOP" }
  | { verb: "AUTH"; mechanism?: string; initial?: string }
  | { verb: "STLS" }
  | { verb: "CAPA" }
  | { verb: "STAT" }
  | { verb: "LIST"; msg?: number }
  | { verb: "UIDL"; msg?: number }
  | { verb: "RETR"; msg: number }
  | { verb: "DELE"; msg: number }
  | { verb: "TOP"; msg: number; lines: number }
  | { verb: "NOOP" }
  | { verb: "RSET" }
  | { verb: "QUIT" }
  | { verb: "invalid"; keyword: string; reason: string } // known keyword, bad arguments
  | { verb: "unknown"; keyword: string };

/** RFC 2449 §4: arguments are at most 40 octets */
const MAX_ARG = 40;
/** message numbers above this cannot exist in any maildrop we serve */
const MAX_NUMBER = 0x7fffffff;

const KEYWORD = /^[A-Za-z]{3,4}$/;
const DIGITS = /^[0-9]{1,10}$/;

export function parseCommand(line: string): Pop3Command {
  const sp = line.indexOf(" ");
  const word = sp < 0 ? line : line.slice(0, sp);
  if (!KEYWORD.test(word)) return { verb: "unknown", keyword: printable(word) };
  const keyword = word.toUpperCase();
  const rest = sp < 0 ? undefined : line.slice(sp + 1);
  // RFC 1939 §7: PASS takes the rest of the line, spaces included
  if (keyword === "PASS") return rest ? { verb: "PASS", password: rest } : invalid(keyword, "PASS needs a password");
  if (rest !== undefined && /[\x00-\x1f\x7f]/.test(rest)) return invalid(keyword, "control characters in arguments");
  const args = rest === undefined ? [] : rest.split(" ");
  if (args.some((a) => a === "")) return invalid(keyword, "arguments are separated by a single space");
  if (args.some((a) => a.length > MAX_ARG) && keyword !== "AUTH") return invalid(keyword, "argument too long");
  return byKeyword(keyword, args);
}

function byKeyword(keyword: string, args: string[]): Pop3Command {
  switch (keyword) {
    case "USER":
      return args.length === 1 ? { verb: "USER", name: args[0]! } : invalid(keyword, "USER needs exactly one name");
    case "APOP":
      return { verb: "APOP" };
    case "AUTH":
      if (args.length > 2) return invalid(keyword, "AUTH takes a mechanism and an optional initial response");
      return { verb: "AUTH", mechanism: args[0]?.toUpperCase(), initial: args[1] };
    case "STLS":
    case "CAPA":
    case "STAT":
    case "NOOP":
    case "RSET":
    case "QUIT":
      return args.length === 0 ? { verb: keyword } : invalid(keyword, `${keyword} takes no arguments`);
    case "LIST":
    case "UIDL":
      return optionalNumber(keyword, args);
    case "RETR":
    case "DELE":
      return oneNumber(keyword, args);
    case "TOP":
      return top(args);
    default:
      return { verb: "unknown", keyword };
  }
}

function optionalNumber(keyword: "LIST" | "UIDL", args: string[]): Pop3Command {
  if (args.length === 0) return { verb: keyword };
  if (args.length > 1) return invalid(keyword, `${keyword} takes at most one message number`);
  const msg = messageNumber(args[0]!);
  return msg === undefined ? invalid(keyword, "invalid message number") : { verb: keyword, msg };
}

function oneNumber(keyword: "RETR" | "DELE", args: string[]): Pop3Command {
  if (args.length !== 1) return invalid(keyword, `${keyword} needs one message number`);
  const msg = messageNumber(args[0]!);
  return msg === undefined ? invalid(keyword, "invalid message number") : { verb: keyword, msg };
}

// RFC 1939 §7: TOP msg n — n is a non-negative number of body lines
function top(args: string[]): Pop3Command {
  if (args.length !== 2) return invalid("TOP", "TOP needs a message number and a line count");
  const msg = messageNumber(args[0]!);
  if (msg === undefined) return invalid("TOP", "invalid message number");
  const lines = count(args[1]!);
  return lines === undefined ? invalid("TOP", "invalid line count") : { verb: "TOP", msg, lines };
}

function count(s: string): number | undefined {
  if (!DIGITS.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_NUMBER ? n : undefined;
}

function messageNumber(s: string): number | undefined {
  const n = count(s);
  return n !== undefined && n >= 1 ? n : undefined;
}

function invalid(keyword: string, reason: string): Pop3Command {
  return { verb: "invalid", keyword, reason };
}

/** a keyword fit to quote back in a reply */
function printable(word: string): string {
  return word.replace(/[^\x21-\x7e]/g, "?").slice(0, 20);
}
