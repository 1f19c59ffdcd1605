// Loading the configuration: a tern.config.ts / .js module (default export) or a .json
// file, then environment overrides, then validation with messages that name the key.
//
// Environment overrides (for containers):
//   TERN_<KEY>                 top-level key:  TERN_HOSTNAME, TERN_DATA_DIR, TERN_DOMAINS
//   TERN_<SECTION>__<KEY>      nested key:     TERN_LISTEN__SMTP=0.0.0.0:25,
//                                              TERN_LIMITS__MAX_MESSAGE_SIZE=1000000
// camelCase keys are written UPPER_SNAKE. Values are coerced by the schema type at that
// key: lists are comma-separated (TERN_RELAY__TRUSTED_NETWORKS=10.0.0.0/8,192.168.0.0/16),
// booleans "true"/"false", numbers as digits, listen addresses "false" to disable,
// TERN_USERS as a JSON array. TERN_CONFIG names the config file (when no path is given).
// Unknown TERN_* names are reported as unknown keys.

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { fileExists, readTextFile } from "../runtime/files.ts";
import { type Config, configSchema } from "./schema.ts";

export { parseHostPort, tryParseHostPort, type HostPort } from "./schema.ts";
export type { Config, ConfigInput } from "./schema.ts";

/** The config is invalid; `problems` holds one "<path>: <what was expected>" line each. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: string[];
  constructor(problems: string[], source?: string) {
    const head = source ? `invalid configuration (${source}):` : "invalid configuration:";
    super([head, ...problems.map((p) => `  ${p}`)].join("\n"));
    this.problems = problems;
  }
}

/** Names of environment variables that are not config keys. */
const ENV_NOT_KEYS = new Set(["TERN_CONFIG", "TERN_TRANSPORT"]); // not config keys: the file path, the socket adapter

type Env = Record<string, string | undefined>;

/**
 * Load, override from the environment, and validate the configuration.
 * `path`: a .ts/.js module whose default export is the config, or a .json file.
 * Without a path: $TERN_CONFIG, else ./tern.config.ts, else ./tern.config.json, else {}.
 */
export async function loadConfig(path?: string, env: Env = process.env, cwd: string = process.cwd()): Promise<Config> {
  const file = await findConfigFile(path, env, cwd);
  const input = file ? await readConfigFile(file) : {};
  return validateConfig(input, env, file);
}

/**
 * Which config file loadConfig(path, env, cwd) reads, as an absolute path, or undefined
 * when none (defaults + environment only).
 */
export async function findConfigFile(path?: string, env: Env = process.env, cwd: string = process.cwd()): Promise<string | undefined> {
  const file = path ?? env.TERN_CONFIG;
  if (file) return isAbsolute(file) ? file : resolve(cwd, file);
  for (const name of ["tern.config.ts", "tern.config.json"]) {
    const abs = resolve(cwd, name);
    if (await fileExists(abs)) return abs;
  }
  return undefined;
}

async function readConfigFile(abs: string): Promise<unknown> {
  if (abs.endsWith(".json")) {
    let text: string;
    try {
      text = await readTextFile(abs);
    } catch (e) {
      throw new ConfigError([`config file ${abs}: cannot read it (${errText(e)})`]);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ConfigError([`config file ${abs}: invalid JSON (${errText(e)})`]);
    }
  }
  if (/\.(ts|mts|js|mjs)$/.test(abs)) {
    if (!(await fileExists(abs))) throw new ConfigError([`config file ${abs}: no such file`]);
    let mod: { default?: unknown };
    try {
      mod = await import(pathToFileURL(abs).href);
    } catch (e) {
      throw new ConfigError([`config file ${abs}: cannot load it (${errText(e)})`]);
    }
    if (mod.default === undefined) {
      throw new ConfigError([`config file ${abs}: expected a default export (export default defineConfig({...}))`]);
    }
    return mod.default;
  }
  throw new ConfigError([`config file ${abs}: expected a .ts, .js or .json file`]);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}

/**
 * Apply environment overrides to `input` and validate it. Throws ConfigError listing
 * every problem. `source` (a file name) appears in the error message.
 */
export function validateConfig(input: unknown, env: Env = {}, source?: string): Config {
  const problems: string[] = [];
  const fromEnv = new Map<string, string>(); // key path -> env var name
  let data = input;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    problems.push(`(config): expected an object, got ${data === null ? "null" : Array.isArray(data) ? "an array" : typeof data}`);
    data = {};
  } else {
    data = structuredCloneSafe(data);
  }
  applyEnv(data as Record<string, unknown>, env, fromEnv, problems);
  const r = configSchema.safeParse(data);
  if (r.success && problems.length === 0) return r.data;
  if (!r.success) problems.push(...formatIssues(r.error.issues, fromEnv));
  throw new ConfigError([...new Set(problems)], source);
}

function structuredCloneSafe(v: object): object {
  try {
    return structuredClone(v);
  } catch {
    return { ...v };
  }
}

// ---------------------------------------------------------------------------------
// environment overrides

const snakeToCamel = (s: string): string => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function applyEnv(data: Record<string, unknown>, env: Env, fromEnv: Map<string, string>, problems: string[]): void {
  const names = Object.keys(env)
    .filter((k) => k.startsWith("TERN_") && !ENV_NOT_KEYS.has(k) && env[k] !== undefined)
    .sort();
  for (const name of names) {
    const raw = env[name]!;
    const segs = name.slice(5).split("__");
    if (segs.some((s) => !/^[A-Z0-9]+(_[A-Z0-9]+)*$/.test(s))) {
      problems.push(`${name}: expected a name like TERN_SECTION__KEY (UPPER_SNAKE segments)`);
      continue;
    }
    const path = segs.map(snakeToCamel);
    const key = path.join(".");
    fromEnv.set(key, name);
    const kind = kindAt(path);
    let value: unknown;
    try {
      value = coerce(raw, kind);
    } catch {
      problems.push(`${key}: expected a JSON value (from ${name})`);
      continue;
    }
    let obj = data;
    for (const seg of path.slice(0, -1)) {
      const next = obj[seg];
      if (next === null || typeof next !== "object" || Array.isArray(next)) obj[seg] = {};
      obj = obj[seg] as Record<string, unknown>;
    }
    obj[path[path.length - 1]!] = value;
  }
}

type Kind = "boolean" | "number" | "list" | "json" | "listen" | "string" | "unknown";

/** What type the schema expects at `path` (used to coerce env strings). */
function kindAt(path: string[]): Kind {
  let s: z.core.$ZodType | undefined = configSchema;
  for (const seg of path) {
    s = unwrap(s);
    const def = s?._zod.def as { type: string; shape?: Record<string, z.core.$ZodType> } | undefined;
    if (!def || def.type !== "object" || !def.shape || !Object.hasOwn(def.shape, seg)) return "unknown";
    s = def.shape[seg];
  }
  s = unwrap(s);
  const def = s?._zod.def as { type: string; element?: z.core.$ZodType } | undefined;
  switch (def?.type) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "custom":
      return "listen";
    case "array": {
      const el = unwrap(def.element);
      const t = (el?._zod.def as { type: string } | undefined)?.type;
      return t === "string" ? "list" : "json";
    }
    case "object":
      return "json";
    default:
      return "string";
  }
}

function unwrap(s: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  for (let i = 0; s && i < 20; i++) {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType && ["default", "prefault", "optional", "nullable", "readonly", "catch"].includes(def.type)) s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else break;
  }
  return s;
}

function coerce(raw: string, kind: Kind): unknown {
  const v = raw.trim();
  switch (kind) {
    case "boolean":
      if (/^(true|1|yes|on)$/i.test(v)) return true;
      if (/^(false|0|no|off)$/i.test(v)) return false;
      return raw;
    case "number":
      return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : raw;
    case "listen":
      return v === "false" ? false : v;
    case "list":
      return v === "" ? [] : v.split(",").map((x) => x.trim()).filter((x) => x !== "");
    case "json":
      return JSON.parse(v);
    case "string":
      return raw;
    default:
      // unknown key: zod will report it; give a plausible value
      if (v === "true" || v === "false") return v === "true";
      return raw;
  }
}

// ---------------------------------------------------------------------------------
// messages

function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? "(config)" : out;
}

function envNote(key: string, fromEnv: Map<string, string>): string {
  for (const [k, name] of fromEnv) {
    if (key === k || key.startsWith(k + ".") || key.startsWith(k + "[")) return ` (from ${name})`;
  }
  return "";
}

/** Turn zod issues into "<path>: <what was expected>" lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], fromEnv: Map<string, string> = new Map()): string[] {
  const out: string[] = [];
  for (const iss of issues) {
    if (iss.code === "unrecognized_keys") {
      for (const k of iss.keys) {
        const key = pathText([...iss.path, k]);
        out.push(`${key}: unknown key${envNote(key, fromEnv)}`);
      }
      continue;
    }
    if (iss.code === "invalid_union" && iss.errors.length > 0) {
      out.push(...formatIssues(iss.errors.flat().map((e) => ({ ...e, path: [...iss.path, ...e.path] })), fromEnv));
      continue;
    }
    const key = pathText(iss.path);
    const msg = iss.message.startsWith("Invalid input: ") ? iss.message.slice(15) : iss.message;
    out.push(`${key}: ${msg}${envNote(key, fromEnv)}`);
  }
  return out;
}
