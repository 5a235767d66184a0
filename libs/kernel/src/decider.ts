/**
 * A decider is an aggregate's whole behaviour as three pure functions.
 * It never reads a clock, makes an id or touches I/O: those arrive in the command.
 */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** Folds events into state; the only way state is ever built. */
export function fold<State, Event>(
  decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
