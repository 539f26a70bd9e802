import { testBackends } from './testing.ts'
import { updateLogContract } from './update-log.contract.ts'

for (const backend of testBackends()) updateLogContract(backend)
