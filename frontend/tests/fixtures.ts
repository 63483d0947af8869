// Data the store and view tests share.
import { service, type Key, type Profile } from '../src/api/contract'

// localProfile is the built-in profile of the embedded local KMS, as Go sends it.
export const localProfile: Profile = {
  name: 'local',
  kind: service.ProfileKind.Local,
  region: 'ap-guangzhou',
  endpoint: '',
  secretIdMasked: '',
  timeoutSeconds: 30,
  language: 'en-US',
  hasSecret: false,
  secretStorage: '',
  sessionOnly: false,
  recovery: [],
  suite: service.Suite.Auto,
  // A local profile reaches no network: no site, proxy or endpoint rules.
  site: '' as service.Site,
  autoEndpoint: false,
  proxy: { mode: '' as service.ProxyMode, url: '', username: '', hasPassword: false, passwordStorage: '' },
  insecureHttp: false,
  plainHttp: false,
}

// connectionDefaults are the connection fields of a profile as Go sends them for a
// profile that sets none (a test's profile fixtures spread them in).
export const connectionDefaults = {
  site: service.Site.China,
  autoEndpoint: true,
  proxy: { mode: service.ProxyMode.System, url: '', username: '', hasPassword: false, passwordStorage: '' },
  insecureHttp: false,
  plainHttp: false,
}


// keyFixture is the metadata of an enabled symmetric key created by KMS, with the
// fields of `over` replaced.
export function keyFixture(over: Partial<Key> = {}): Key {
  return {
    keyId: '11111111-2222-3333-4444-555555555555',
    alias: 'payroll',
    description: '',
    keyState: 'Enabled',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'TENCENT_KMS',
    owner: 'user',
    createTime: 1700000000,
    rotationEnabled: false,
    rotateDays: 365,
    nextRotateTime: 0,
    lastRotateTime: 0,
    deletionDate: 0,
    validTo: 0,
    resourceId: '',
    creatorUin: 1,
    complianceType: 2,
    ...over,
  }
}
