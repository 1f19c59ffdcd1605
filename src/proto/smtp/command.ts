// SMTP command-line parser (RFC 5321 §4.1.1). Pure: a decoded line in, a command out.

export type Params = Map<string, string | true>;

export type Command =
  | { verb: "EHLO" | "HELO"; domain: string }
  | { verb: "MAIL"; arg: string } // arg after "FROM:"
  | { verb: "RCPT"; arg: string } // arg after "TO:"
  | { verb: "DATA" | "RSET" | "QUIT" | "STARTTLS" }
  | { verb: "NOOP" | "HELP" | "VRFY" | "EXPN"; arg: string }
  | { verb: "BDAT"; size: number; last: boolean }
  | { verb: "AUTH"; mechanism: string; initial?: string }
  | { verb: "unknown"; word: string }
  | { verb: "syntax"; message: string };


export function parseCommand(line: string): Command {
  const sp = line.indexOf(" ");
  const word = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
  const arg = sp === -1 ? "" : line.slice(sp + 1);
  switch (word) {
    case "EHLO":
    case "HELO": {
      const domain = arg.trim();
      if (!domain) return { verb: "syntax", message: `Syntax: ${word} hostname` };
      return { verb: word, domain };
    }
    case "MAIL":
      return prefixed("MAIL", arg, "FROM:", "Syntax: MAIL FROM:<address> [parameters]");
    case "RCPT":
      return prefixed("RCPT", arg, "TO:", "Syntax: RCPT TO:<address> [parameters]");
    case "DATA":
    case "RSET":
    case "QUIT":
    case "STARTTLS":
      if (arg.trim() !== "") return { verb: "syntax", message: `Syntax: ${word} (no parameters)` };
      return { verb: word };
    case "NOOP":
    case "HELP":
    case "VRFY":
    case "EXPN":
      return { verb: word, arg: arg.trim() };
    case "BDAT":
      return parseBdat(arg);
    case "AUTH": {
      const parts = arg.trim().split(/ +/);
      if (!parts[0] || parts.length > 2) return { verb: "syntax", message: "Syntax: AUTH mechanism [initial-response]" };
      return { verb: "AUTH", mechanism: parts[0].toUpperCase(), initial: parts[1] };
    }
    default:
      return { verb: "unknown", word };
  }
}

function prefixed(verb: "MAIL" | "RCPT", arg: string, prefix: string, syntax: string): Command {
  if (arg.slice(0, prefix.length).toUpperCase() !== prefix) return { verb: "syntax", message: syntax };
  return { verb, arg: arg.slice(prefix.length) };
}

// RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ]
function parseBdat(arg: string): Command {
  const m = /^(\d{1,15})( +LAST)? *$/i.exec(arg);
  if (!m) return { verb: "syntax", message: "Syntax: BDAT chunk-size [LAST]" };
  return { verb: "BDAT", size: Number(m[1]), last: m[2] !== undefined };
}

/** Parse ESMTP parameters "KEY=VALUE KEY2" (RFC 5321 §4.1.2 Mail-parameters). */
export function parseParams(s: string): Params | string {
  const params: Params = new Map();
  for (const tok of s.trim().split(/ +/)) {
    if (tok === "") continue;
    const eq = tok.indexOf("=");
    const key = (eq === -1 ? tok : tok.slice(0, eq)).toUpperCase();
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(key)) return `bad parameter "${tok}"`;
    if (params.has(key)) return `duplicate parameter ${key}`;
    params.set(key, eq === -1 ? true : tok.slice(eq + 1));
  }
  return params;
}

/** RFC 3461 §4 xtext decoding ("+HH" escapes). Returns null when malformed. */
export function decodeXtext(s: string): string | null {
  if (!/^([\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/.test(s)) return null;
  return s.replace(/\+([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}
