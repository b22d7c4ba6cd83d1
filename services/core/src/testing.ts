export { runBusContract } from './bus/bus-contract.ts';
export { runEphemeralContract } from './ephemeral/ephemeral-contract.ts';
export { runStoreContract } from './store/store-contract.ts';
