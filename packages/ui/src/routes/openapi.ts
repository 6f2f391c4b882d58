/** A short OpenAPI 3.1 description of the JSON API, served at /api/openapi.json. */
import {
  DNS1123_LABEL_PATTERN,
  DNS1123_SUBDOMAIN_PATTERN,
  MAX_LABEL_LENGTH,
  MAX_SUBDOMAIN_LENGTH,
} from '@guitars/shared';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
// What the routes accept (anything else is answered 400 before the cluster is asked).
const namespaceAndName = [
  {
    name: 'namespace',
    in: 'path',
    required: true,
    schema: { type: 'string', maxLength: MAX_LABEL_LENGTH, pattern: DNS1123_LABEL_PATTERN },
  },
  {
    name: 'name',
    in: 'path',
    required: true,
    schema: { type: 'string', maxLength: MAX_SUBDOMAIN_LENGTH, pattern: DNS1123_SUBDOMAIN_PATTERN },
  },
];

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Guitar Center UI API',
    version: '1.0.0',
    description:
      "List, create and delete Guitar resources (kool.karmalabs.local/v1). Reads come from the UI's cache of the cluster; writes go to the apiserver.",
  },
  paths: {
    '/api/guitars': {
      get: {
        summary: 'List guitars, sorted by brand then name',
        parameters: [
          { name: 'namespace', in: 'query', schema: { type: 'string' }, description: 'Only this namespace' },
          {
            name: 'brand',
            in: 'query',
            schema: { type: 'string' },
            description: 'Only this brand (trimmed and case-insensitive, as the controller reads it)',
          },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          {
            name: 'perPage',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        ],
        responses: {
          200: {
            description: 'One page of guitars',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/GuitarPage' } } },
          },
          400: error('Bad query parameters'),
          404: error('A page past the last one'),
          503: error('The cache is not in sync with the cluster'),
        },
      },
      post: {
        summary: 'Create a guitar (the name is lower-cased)',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/NewGuitar' } } },
        },
        responses: {
          201: {
            description: 'Created; Location points at it',
            headers: { Location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Guitar' } } },
          },
          400: error('Malformed JSON'),
          403: error(
            "Refused by the cluster's RBAC (the apiserver's message), or sent by a browser from another site (Origin, Sec-Fetch-Site)",
          ),
          409: error('A guitar with this name exists in the namespace'),
          413: error('Body too large'),
          415: error('Not JSON'),
          422: error('Invalid name, brand or namespace; `fields` says which'),
          429: error('Too many writes from this client'),
          503: error(
            'The cluster cannot be reached, or the Guitar CRD is not installed (the message says which)',
          ),
        },
      },
    },
    '/api/guitars/{namespace}/{name}': {
      parameters: namespaceAndName,
      get: {
        summary: 'One guitar',
        responses: {
          200: {
            description: 'The guitar',
            headers: {
              ETag: {
                description:
                  'Its resourceVersion as a strong entity tag ("<resourceVersion>"): send it back in a DELETE\'s If-Match',
                schema: { type: 'string' },
              },
            },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Guitar' } } },
          },
          400: error('The namespace or the name is not one a guitar can have'),
          403: error("Refused by the cluster's RBAC"),
          404: error('No such guitar'),
          503: error('The cache is not in sync with the cluster, or the Guitar CRD is not installed'),
        },
      },
      delete: {
        summary: 'Delete a guitar',
        description:
          'Without If-Match, deletes whatever guitar has the name now. With the ETag of a GET, deletes it only if it is still that version of that guitar (a resourceVersion precondition): a guitar changed, or deleted and created again, since it was read is left alone (412).',
        parameters: [
          {
            name: 'If-Match',
            in: 'header',
            required: false,
            description:
              'One strong entity tag, the ETag of GET /api/guitars/{namespace}/{name}, or * for any guitar of that name. A weak tag (W/"…") never matches (412); a list of tags or anything else is a 400. Nothing is deleted in either case.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          204: { description: 'Deleted' },
          400: error(
            'The namespace or the name is not one a guitar can have, or If-Match is not one entity tag or *',
          ),
          403: error(
            "Refused by the cluster's RBAC (the apiserver's message), or sent by a browser from another site (Origin, Sec-Fetch-Site)",
          ),
          404: error('No such guitar'),
          412: error(
            'If-Match did not match: the guitar changed, or was deleted and created again, since it was read; nothing was deleted',
          ),
          429: error('Too many writes from this client'),
          503: error(
            'The cluster cannot be reached, or the Guitar CRD is not installed (the message says which)',
          ),
        },
      },
    },
  },
  components: {
    schemas: {
      NewGuitar: {
        type: 'object',
        required: ['name', 'brand'],
        properties: {
          name: { type: 'string', maxLength: 253, description: 'A DNS-1123 subdomain once lower-cased' },
          brand: {
            type: 'string',
            maxLength: 63,
            description:
              'Any brand, not blank, without control or invisible formatting characters (Unicode Cc, Cf: bidi controls, zero-width characters)',
          },
          namespace: { type: 'string', maxLength: 63, description: "Defaults to the UI's namespace" },
        },
      },
      Guitar: {
        type: 'object',
        required: ['namespace', 'name', 'brand', 'reviewed', 'comment', 'createdAt'],
        properties: {
          namespace: { type: 'string' },
          name: { type: 'string' },
          brand: { type: 'string' },
          reviewed: { type: 'boolean' },
          comment: {
            type: ['string', 'null'],
            description: "The controller's review; null while awaiting it",
          },
          createdAt: { type: ['string', 'null'], format: 'date-time' },
          problem: { type: 'string', description: 'Set when the object does not match the Guitar schema' },
          uid: {
            type: 'string',
            description: 'Which object: a guitar deleted and created again under its name has another',
          },
          resourceVersion: {
            type: 'string',
            description: "Which version of it; a single guitar's GET sends it as its ETag",
          },
        },
      },
      GuitarPage: {
        type: 'object',
        properties: {
          items: { type: 'array', items: { $ref: '#/components/schemas/Guitar' } },
          total: { type: 'integer' },
          page: { type: 'integer' },
          pages: { type: 'integer' },
          perPage: { type: 'integer' },
          scope: {
            type: 'object',
            description: 'clusterWide, or the one namespace the UI may list (with the reason)',
            properties: {
              clusterWide: { type: 'boolean' },
              namespace: { type: 'string' },
              reason: { type: 'string' },
            },
          },
        },
      },
      Error: {
        type: 'object',
        required: ['status', 'message'],
        properties: {
          status: { type: 'integer' },
          message: { type: 'string' },
          fields: {
            type: 'object',
            description: 'Per-field messages',
            properties: {
              name: { type: 'string' },
              brand: { type: 'string' },
              namespace: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;
