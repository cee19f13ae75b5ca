import { exposeKeyhold } from './bridge';

// TODO(lead): pass `contract` and `events` from src/shared/contract.ts.
exposeKeyhold({}, {});
