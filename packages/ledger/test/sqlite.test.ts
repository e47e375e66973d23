/** Every conformance suite on SQLite. */
import { channelConformance } from './conformance/channelConformance.js';
import { ledgerConformance } from './conformance/ledgerConformance.js';
import { sqliteAdapter } from './helpers/adapters.js';

ledgerConformance(sqliteAdapter);
channelConformance(sqliteAdapter);
