// A person as `GET /users` lists them.
import type { Schema } from '../shared/api';

export type UserRow = Schema<'User'>;
