// dynalite in a process of its own, so that its work does not share the measured process's event loop
// and heap. Prints its endpoint, then serves until killed.
import { startDynalite } from '../dev/local-dynamodb.ts';

const dynamoDb = await startDynalite();
process.stdout.write(`${dynamoDb.endpoint}\n`);
