export { runBusContract } from './bus/bus-contract.ts';
export { runEphemeralContract } from './ephemeral/ephemeral-contract.ts';
export { runStoreContract } from './store/store-contract.ts';
export { seedMessages, type SeedMessages } from './store/seed-messages.ts';
export { countStatements } from './store/statement-count.ts';
