// Public entry of local delivery (the MDA).
export { LocalDeliveryAgent, type LocalDeliveryOptions, type LocalDirectory, type LocalStore } from "./local.ts";
export { compileRules, type FilterRule, ADVERTISING_FOLDER, JUNK_FOLDER } from "./filters.ts";
export { parseClamdAddress, scanStream, type ScanResult } from "./clamd.ts";
