/** "1 profile", "3 profiles"; `many` for nouns whose plural is not just an added "s". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
