// Runs the Store contract against MemStore, the store consensus unit tests use.
import { MemStore } from '../../../node-core/src/storage/mem-store.js';
import { storeContract } from './store-contract.js';

storeContract('MemStore', () => new MemStore());
