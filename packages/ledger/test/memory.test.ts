/** Every conformance suite on the memory twin. */
import { channelConformance } from './conformance/channelConformance.js';
import { ledgerConformance } from './conformance/ledgerConformance.js';
import { memoryAdapter } from './helpers/adapters.js';

ledgerConformance(memoryAdapter);
channelConformance(memoryAdapter);
