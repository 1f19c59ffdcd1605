// DNS wire format for the outbound relay (sans-I/O).
export * from "./packet.ts";
export * from "./answer.ts";
