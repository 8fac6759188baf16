/**
 * Names shared by the preload and main. Kept apart from contract.ts, which
 * pulls in zod: the sandboxed preload must stay a single file with no npm
 * code in it.
 */
export const IPC_COMMAND_CHANNEL = 'kiosk:command';
export const IPC_EVENT_CHANNEL = 'kiosk:event';
