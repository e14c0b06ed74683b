/** A value the object itself carries, never one inherited through its prototype (`constructor`, a polluted key). */
export const own = (object: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;
