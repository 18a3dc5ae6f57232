/** What a reader of a narrow page would meet; one line per problem (see narrow-layout.mjs). */
export function narrowLayoutProblems(): string[];
