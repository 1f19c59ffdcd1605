// `tern domain|user|alias …`: manage the directory database directly (WAL mode and a
// busy timeout let this run next to a server; the server notices via data_version).
//
//   tern domain add DOMAIN… | del DOMAIN… | ls
//   tern user add ADDRESS [--quota BYTES] [--advertising-folder]   (password: prompt or stdin)
//   tern user passwd ADDRESS | del ADDRESS… | ls [DOMAIN]
//   tern user set ADDRESS [--quota BYTES] [--advertising-folder | --no-advertising-folder]
//   tern alias add SOURCE TARGET… | del SOURCE [TARGET…] | ls      (SOURCE "@domain" = catch-all)

import { readNewPassword } from "../runtime/prompt.ts";
import { DirectoryError, openDirectory, type SqliteDirectory } from "./sqlite.ts";

export interface AccountArgs {
  /** "domain" | "user" | "alias" */
  command: string;
  sub: string | undefined;
  rest: string[];
  dataDir: string;
  /** domains from the config, added when missing (the server does the same at start) */
  configDomains: string[];
  quota?: string;
  advertisingFolder?: boolean;
  noAdvertisingFolder?: boolean;
}

/** a usage problem: main prints usage and exits 2 */
export class UsageError extends Error {
  override name = "UsageError";
}

const out = (s: string) => process.stdout.write(s + "\n");

export async function runAccountCommand(a: AccountArgs): Promise<number> {
  const dir = await openDirectory(`${a.dataDir.replace(/\/+$/, "")}/directory.db`);
  try {
    for (const d of a.configDomains) dir.addDomain(d);
    switch (a.command) {
      case "domain":
        return domain(dir, a);
      case "user":
        return await user(dir, a);
      case "alias":
        return alias(dir, a);
      case "apikey":
        return apikey(dir, a);
      default:
        throw new UsageError(`unknown command "${a.command}"`);
    }
  } catch (e) {
    if (e instanceof DirectoryError) {
      process.stderr.write(`tern ${a.command} ${a.sub}: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    dir.close();
  }
}

function need(a: AccountArgs, min: number, max: number, what: string): string[] {
  if (a.rest.length < min || a.rest.length > max) throw new UsageError(`${a.command} ${a.sub}: expected ${what}`);
  return a.rest;
}

function quota(a: AccountArgs): number | undefined {
  if (a.quota === undefined) return undefined;
  if (!/^\d+$/.test(a.quota)) throw new UsageError(`--quota: expected a number of bytes (0 = unlimited), got "${a.quota}"`);
  return Number(a.quota);
}

function domain(dir: SqliteDirectory, a: AccountArgs): number {
  switch (a.sub) {
    case "add":
      for (const d of need(a, 1, Infinity, "DOMAIN...")) out(dir.addDomain(d) ? `added ${d.toLowerCase()}` : `${d.toLowerCase()} exists already`);
      return 0;
    case "del":
      for (const d of need(a, 1, Infinity, "DOMAIN...")) {
        if (!dir.removeDomain(d)) throw new DirectoryError(`no domain ${d}`);
        out(`removed ${d.toLowerCase()}`);
      }
      return 0;
    case "ls":
      need(a, 0, 0, "no arguments");
      for (const d of dir.listDomains()) out(d);
      return 0;
    default:
      throw new UsageError(a.sub === undefined ? "domain: expected add, del or ls" : `domain: unknown subcommand "${a.sub}"`);
  }
}

async function user(dir: SqliteDirectory, a: AccountArgs): Promise<number> {
  switch (a.sub) {
    case "add": {
      const [addr] = need(a, 1, 1, "ADDRESS (the password is read from the terminal or stdin)");
      const q = quota(a);
      const password = await readNewPassword();
      const u = await dir.addUser(addr!, { password, quota: q ?? 0, advertisingFolder: a.advertisingFolder === true });
      out(`added ${u.address}`);
      return 0;
    }
    case "passwd": {
      const [addr] = need(a, 1, 1, "ADDRESS (the password is read from the terminal or stdin)");
      if (!dir.getUser(addr!)) throw new DirectoryError(`no user ${addr}`);
      await dir.setPassword(addr!, await readNewPassword());
      out(`password changed for ${addr!.toLowerCase()}`);
      return 0;
    }
    case "set": {
      const [addr] = need(a, 1, 1, "ADDRESS [--quota BYTES] [--advertising-folder | --no-advertising-folder]");
      const q = quota(a);
      if (q === undefined && !a.advertisingFolder && !a.noAdvertisingFolder) throw new UsageError("user set: nothing to change");
      if (q !== undefined) dir.setQuota(addr!, q);
      if (a.advertisingFolder || a.noAdvertisingFolder) dir.setAdvertisingFolder(addr!, a.advertisingFolder === true);
      out(`updated ${addr!.toLowerCase()}`);
      return 0;
    }
    case "del":
      for (const addr of need(a, 1, Infinity, "ADDRESS...")) {
        if (!dir.removeUser(addr)) throw new DirectoryError(`no user ${addr}`);
        out(`removed ${addr.toLowerCase()} (the Maildir is kept)`);
      }
      return 0;
    case "ls": {
      const [d] = need(a, 0, 1, "[DOMAIN]");
      for (const u of dir.listUsers(d)) out(`${u.address}\tquota=${u.quota || "unlimited"}${u.advertisingFolder ? "\tadvertising-folder" : ""}`);
      return 0;
    }
    default:
      throw new UsageError(a.sub === undefined ? "user: expected add, del, passwd, set or ls" : `user: unknown subcommand "${a.sub}"`);
  }
}

// tern apikey add NAME [SENDER-DOMAIN…] | del ID | ls — the token is shown once, only its hash is kept
function apikey(dir: SqliteDirectory, a: AccountArgs): number {
  switch (a.sub) {
    case "add": {
      const [name, ...domains] = need(a, 1, Infinity, "NAME [SENDER-DOMAIN...]");
      const { key, token } = dir.createApiKey(name, domains);
      out(`created API key ${key.id} (${key.name})${domains.length ? ` for ${domains.join(", ")}` : ""}`);
      out(`token: ${token}`);
      out("keep it: it is not stored and cannot be shown again");
      return 0;
    }
    case "del": {
      const [id] = need(a, 1, 1, "ID");
      if (!dir.deleteApiKey(id)) throw new DirectoryError(`no API key ${id}`);
      out(`deleted API key ${id}`);
      return 0;
    }
    case "ls":
      need(a, 0, 0, "no arguments");
      for (const k of dir.listApiKeys()) {
        out(`${k.id}  ${k.name}  ${k.senderDomains.join(",") || "(any sender domain)"}  ${new Date(k.created).toISOString()}`);
      }
      return 0;
    default:
      throw new UsageError(`apikey: expected add, del or ls`);
  }
}

function alias(dir: SqliteDirectory, a: AccountArgs): number {
  switch (a.sub) {
    case "add": {
      const [source, ...targets] = need(a, 2, Infinity, "SOURCE TARGET...");
      const n = dir.addAlias(source!, targets);
      out(`${source!.toLowerCase()}: ${n} target(s) added`);
      return 0;
    }
    case "del": {
      const [source, ...targets] = need(a, 1, Infinity, "SOURCE [TARGET...]");
      if (dir.removeAlias(source!, targets) === 0) throw new DirectoryError(`no alias ${source}${targets.length ? ` → ${targets.join(", ")}` : ""}`);
      out(`removed ${source!.toLowerCase()}${targets.length ? ` → ${targets.join(", ")}` : ""}`);
      return 0;
    }
    case "ls":
      need(a, 0, 0, "no arguments");
      for (const x of dir.listAliases()) out(`${x.source}\t${x.targets.join(", ")}`);
      return 0;
    default:
      throw new UsageError(a.sub === undefined ? "alias: expected add, del or ls" : `alias: unknown subcommand "${a.sub}"`);
  }
}
