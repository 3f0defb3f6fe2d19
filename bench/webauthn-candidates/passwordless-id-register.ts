// Candidate measured by bench/webauthn-candidates.ts: registration with @passwordless-id/webauthn.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { server } from '@passwordless-id/webauthn';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
export const handler = async () => ({ statusCode: 200, body: String([db, server.verifyRegistration].length) });
