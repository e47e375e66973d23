/** SIGKILL at every step of finalize, cooperative close and payout, on PostgreSQL. */
import { crashMatrix } from './crash/crashHarness.js';

crashMatrix('postgres');
