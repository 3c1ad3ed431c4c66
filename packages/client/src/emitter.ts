type Listener = (...args: never[]) => void;

/** A minimal typed event emitter: `on` returns the function that unsubscribes. */
export function createEmitter<Events extends Record<string, unknown[]>>() {
  const listeners = new Map<keyof Events, Set<Listener>>();
  return {
    on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(listener as unknown as Listener);
      listeners.set(event, set);
      return () => set.delete(listener as unknown as Listener);
    },
    emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
      for (const listener of [...(listeners.get(event) ?? [])]) (listener as unknown as (...args: Events[K]) => void)(...args);
    },
  };
}
