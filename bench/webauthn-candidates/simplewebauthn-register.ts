// Candidate measured by bench/webauthn-candidates.ts: registration with @simplewebauthn/server.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
export const handler = async () => ({ statusCode: 200, body: String([db, generateRegistrationOptions, verifyRegistrationResponse].length) });
