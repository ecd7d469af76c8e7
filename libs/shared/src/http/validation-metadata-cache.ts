import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;

/**
 * class-validator recomputes a class's validation rules on every validate() call, and for
 * every nested object: it filters the rules of every decorated class in the app and walks
 * their inheritance. The rules only change when a decorator registers one (at class
 * definition, before any request), so the answer is kept per class and query until then.
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const marked = storage as Storage & { tallyCached?: true };
  if (marked.tallyCached) return;
  marked.tallyCached = true;
  const compute = storage.getTargetValidationMetadatas.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let cache = new Map<Parameters<typeof compute>[0], Map<string, ReturnType<typeof compute>>>();
  storage.addValidationMetadata = (metadata) => {
    cache = new Map();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let byKey = cache.get(target);
    if (!byKey) cache.set(target, (byKey = new Map()));
    let rules = byKey.get(key);
    if (!rules) byKey.set(key, (rules = compute(target, schema, always, strictGroups, groups)));
    return rules;
  };
}
