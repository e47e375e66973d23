/** SIGKILL at every step of finalize, cooperative close and payout, on SQLite. */
import { crashMatrix } from './crash/crashHarness.js';

crashMatrix('sqlite');
