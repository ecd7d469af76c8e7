/**
 * The body of a route that takes none (cancel, start, drain, void, seal): it may be absent
 * or `{}`, and any field in it is refused (400 DSE-001 naming it), as on every other route,
 * rather than silently ignored.
 */
export class NoFieldsRequestDto {}
