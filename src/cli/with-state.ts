import type { StateAccess } from './state-access.ts';

export type OpenState = () => Promise<StateAccess>;

/** Opens the state for one command and closes it whatever happens. */
export async function withState<T>(open: OpenState, work: (state: StateAccess) => Promise<T>): Promise<T> {
  const state = await open();
  try {
    return await work(state);
  } finally {
    await state.close();
  }
}
