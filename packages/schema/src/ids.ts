import { v7 } from 'uuid'

/** Ids are UUIDv7, made where the thing is made (on the terminal): time-ordered, no server round trip. */
export function uuidv7(): string {
  return v7()
}
