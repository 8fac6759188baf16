import { decodeCommand, encodeResponse, type ApduForm, type CommandApdu } from '../../../main/card/apdu';
import type { CardConnection } from '../../../main/card/reader';

// A card scripted APDU by APDU, for what a client makes of answers a well-behaved virtual card never gives.

export type Sent = CommandApdu & { form: ApduForm };
export type Script = (command: Sent) => Uint8Array;

/** A connection whose card answers by `script`; every command it was sent, decoded, in `sent`. */
export function scriptedCard(script: Script) {
  const sent: Sent[] = [];
  const connection: CardConnection = {
    reader: 'scripted',
    atr: new Uint8Array(0),
    transmit: async (bytes) => {
      const command = decodeCommand(bytes);
      sent.push(command);
      return script(command);
    },
    disconnect: async () => {},
  };
  return { connection, sent };
}

/** 9000 with `data`. */
export const ok = (data: Uint8Array = new Uint8Array(0)) => encodeResponse(0x9000, data);
