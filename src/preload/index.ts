import { contract, events } from '../shared/contract';
import { exposeKeyhold } from './bridge';

exposeKeyhold(contract, events);
