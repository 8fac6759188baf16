import { createContext, useContext } from 'react';
import type { Command, CommandResult } from '../../preload/contract';

/** The one way a screen acts: send a command to main. Screens get it from context, not from props passed down. */
export type Send = (command: Command) => Promise<CommandResult>;

export const SendContext = createContext<Send>(() => Promise.resolve({ ok: false, error: 'internal-error' }));

export function useSend(): Send {
  return useContext(SendContext);
}
