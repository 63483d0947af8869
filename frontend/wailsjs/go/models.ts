export namespace service {
	
	export enum Decision {
	    Overwrite = "overwrite",
	    Skip = "skip",
	    Rename = "rename",
	    Cancel = "cancel",
	}
	export enum FileStatus {
	    Done = "done",
	    Failed = "failed",
	    Skipped = "skipped",
	    Cancelled = "cancelled",
	}
	export enum ImportPolicy {
	    Report = "report",
	    Skip = "skip",
	    Replace = "replace",
	    Rename = "rename",
	}
	export enum ItemAction {
	    Encrypt = "encrypt",
	    Decrypt = "decrypt",
	}
	export enum ItemKind {
	    File = "file",
	    Folder = "folder",
	    Envelope = "envelope",
	    Blob = "blob",
	}
	export enum JobKind {
	    Encrypt = "encrypt",
	    Decrypt = "decrypt",
	    Verify = "verify",
	    Rewrap = "rewrap",
	}
	export enum JobState {
	    Running = "running",
	    Waiting = "waiting",
	    Done = "done",
	    Failed = "failed",
	    Cancelled = "cancelled",
	}
	export enum Language {
	    Auto = "auto",
	    ZhCN = "zh-CN",
	    En = "en",
	}
	export enum OpenIntent {
	    None = "",
	    Encrypt = "encrypt",
	    Decrypt = "decrypt",
	}
	export enum Overwrite {
	    Ask = "ask",
	    Skip = "skip",
	    Rename = "rename",
	    Overwrite = "overwrite",
	}
	export enum ProfileKind {
	    Local = "local",
	    Tencent = "tencent",
	}
	export enum ProxyMode {
	    System = "system",
	    None = "none",
	    Manual = "manual",
	}
	export enum Site {
	    China = "china",
	    Intl = "intl",
	}
	export enum SlotKind {
	    Tencent = "tencent",
	    Local = "local",
	    Recovery = "recovery",
	    Unknown = "unknown",
	}
	export enum Suite {
	    Auto = "auto",
	    AES = "aes",
	    SM4 = "sm4",
	}
	export enum Theme {
	    Auto = "auto",
	    Light = "light",
	    Dark = "dark",
	}
	export enum WrappingAlgorithm {
	    Default = "",
	    OAEPSHA256 = "RSAES_OAEP_SHA_256",
	    OAEPSHA1 = "RSAES_OAEP_SHA_1",
	    SM2 = "SM2",
	}
	export interface Algorithm {
	    keyUsage: string;
	    algorithm: string;
	}
	export interface Algorithms {
	    symmetric: Algorithm[];
	    asymmetricDecrypt: Algorithm[];
	    asymmetricSign: Algorithm[];
	    nationalStandard: boolean;
	}
	export interface AppInfo {
	    name: string;
	    version: string;
	    goVersion: string;
	    platform: string;
	    configDir: string;
	    logFile: string;
	}
	export interface BackupResult {
	    path: string;
	    keys: number;
	    credentials: number;
	    instances: string[];
	}
	export interface ContextPair {
	    key: string;
	    value: string;
	}
	export interface CreateKeyInput {
	    alias: string;
	    description: string;
	    usage: string;
	    tags: {[key: string]: string};
	    external: boolean;
	}
	export interface CurrentFile {
	    path: string;
	    bytesDone: number;
	    bytesTotal: number;
	}
	export interface DecryptRequest {
	    paths: string[];
	    outputDir: string;
	    overwrite: Overwrite;
	    requireContext: ContextPair[];
	    identityFile: string;
	    force?: boolean;
	}
	export interface DependentFile {
	    path: string;
	    size: number;
	    time: number;
	    only: boolean;
	    offline: boolean;
	}
	export interface Dependents {
	    keyId: string;
	    count: number;
	    only: number;
	    files: DependentFile[];
	}
	export interface EncryptRequest {
	    paths: string[];
	    keyId: string;
	    backupKeyIds: string[];
	    context: ContextPair[];
	    outputDir: string;
	    overwrite: Overwrite;
	    removeOriginals: boolean;
	    direct: boolean;
	    recovery: string[];
	    force: boolean;
	    suite: Suite;
	    skipCurrent: boolean;
	}
	export interface ImportMaterialInput {
	    keyId: string;
	    path: string;
	    validTo: number;
	    wrapping: WrappingAlgorithm;
	}
	export interface ImportResult {
	    imported: string[];
	    replaced: string[];
	    skipped: string[];
	    renamed: {[key: string]: string};
	    conflicts: string[];
	}
	export interface InspectionKey {
	    kind: SlotKind;
	    keyId: string;
	    region: string;
	    instance: string;
	    thisComputer: boolean;
	}
	export interface Inspection {
	    path: string;
	    kind: ItemKind;
	    size: number;
	    version: number;
	    suite: Suite;
	    keys: InspectionKey[];
	    encryptionContext: string;
	    plaintextSize: number;
	    creator: string;
	    hasMetadata: boolean;
	}
	
	export interface InventoryEntry {
	    path: string;
	    size: number;
	    time: number;
	    recorded: number;
	    offline: boolean;
	    keys: InspectionKey[];
	}
	export interface Item {
	    path: string;
	    name: string;
	    isDir: boolean;
	    size: number;
	    files: number;
	    action: ItemAction;
	    kind: ItemKind;
	    errorCode: string;
	    encryptAnyway: boolean;
	    forced: boolean;
	}
	export interface JobConflict {
	    id: string;
	    path: string;
	    output: string;
	}
	export interface JobFile {
	    id: string;
	    path: string;
	    output: string;
	    status: FileStatus;
	    errorCode: string;
	    message: string;
	    keyId: string;
	    recoverable: boolean;
	    subject: string;
	}
	export interface JobInfo {
	    id: string;
	    kind: JobKind;
	    files: number;
	    bytes: number;
	}
	export interface JobProgress {
	    id: string;
	    kind: JobKind;
	    state: JobState;
	    filesDone: number;
	    filesTotal: number;
	    bytesDone: number;
	    bytesTotal: number;
	    done: number;
	    failed: number;
	    skipped: number;
	    cancelled: number;
	    bytesPerSec: number;
	    etaSeconds: number;
	    current?: CurrentFile;
	    startedMs: number;
	    seconds: number;
	}
	export interface JobSummary {
	    id: string;
	    kind: JobKind;
	    state: JobState;
	    done: number;
	    failed: number;
	    skipped: number;
	    cancelled: number;
	    bytes: number;
	    seconds: number;
	    bytesPerSec: number;
	    final: JobProgress;
	}
	export interface JobReport {
	    progress: JobProgress;
	    files: JobFile[];
	    conflict?: JobConflict;
	    done?: JobSummary;
	}
	
	export interface Key {
	    keyId: string;
	    alias: string;
	    description: string;
	    keyState: string;
	    keyUsage: string;
	    origin: string;
	    owner: string;
	    createTime: number;
	    rotationEnabled: boolean;
	    rotateDays: number;
	    nextRotateTime: number;
	    lastRotateTime: number;
	    deletionDate: number;
	    validTo: number;
	    resourceId: string;
	    creatorUin: number;
	    complianceType: number;
	}
	export interface KeyPage {
	    keys: Key[];
	    total: number;
	}
	export interface KeychainStatus {
	    available: boolean;
	    backend: string;
	    code: string;
	    message: string;
	    hint: string;
	}
	export interface ListOptions {
	    offset: number;
	    limit: number;
	    search: string;
	    state: number;
	    usage: string;
	    orderAscending: boolean;
	    origin: string;
	    tags: {[key: string]: string[]};
	}
	export interface MaterialFile {
	    path: string;
	    name: string;
	    bits: number;
	    wantBits: number;
	    problem: string;
	}
	export interface OpenFiles {
	    items: Item[];
	    intent: OpenIntent;
	}
	export interface OpenedBlob {
	    path: string;
	    blob: string;
	}
	export interface Window {
	    width: number;
	    height: number;
	    x: number;
	    y: number;
	    maximised: boolean;
	}
	export interface Preferences {
	    language: Language;
	    theme: Theme;
	    outputDir: string;
	    lastKeyId: string;
	    overwrite: Overwrite;
	    window: Window;
	    localIntroSeen: boolean;
	    localWarningOff: boolean;
	    recovery: string[];
	}
	export interface ProxySetting {
	    mode: ProxyMode;
	    url: string;
	    username: string;
	    hasPassword: boolean;
	    passwordStorage: string;
	}
	export interface TempInfo {
	    roleArn: string;
	    roleSessionName: string;
	    durationSeconds: number;
	    expiry: number;
	    hasCredentials: boolean;
	    secondsLeft: number;
	    storage: string;
	}
	export interface Profile {
	    name: string;
	    kind: ProfileKind;
	    region: string;
	    endpoint: string;
	    secretIdMasked: string;
	    timeoutSeconds: number;
	    language: string;
	    hasSecret: boolean;
	    secretStorage: string;
	    sessionOnly: boolean;
	    temporary?: TempInfo;
	    recovery: string[];
	    suite: Suite;
	    site: Site;
	    autoEndpoint: boolean;
	    proxy: ProxySetting;
	    insecureHttp: boolean;
	    plainHttp: boolean;
	}
	export interface ProfileInput {
	    profile: Profile;
	    secretId: string;
	    secretKey: string;
	    proxyPassword: string;
	}
	
	export interface PublicKey {
	    keyId: string;
	    der: string;
	    pem: string;
	}
	export interface RecoveryKey {
	    recipient: string;
	    keyId: string;
	    path: string;
	    identity: string;
	    postQuantum: boolean;
	}
	export interface RecoveryKeyFile {
	    path: string;
	    keyIds: string[];
	}
	export interface Region {
	    id: string;
	    nameZh: string;
	    nameEn: string;
	}
	export interface RestoreResult {
	    path: string;
	    keysAdded: string[];
	    keysPresent: string[];
	    versionsAdded: number;
	    aliasesAdded: string[];
	    credentialsAdded: number;
	    instances: string[];
	}
	export interface RewrapRequest {
	    paths: string[];
	    to: string[];
	    add: string[];
	    remove: string[];
	    addRecovery: string[];
	    profile: string;
	    identityFile: string;
	}
	export interface SignInput {
	    keyId: string;
	    algorithm: string;
	    message: string;
	    file: string;
	    signature: string;
	}
	export interface SignResult {
	    signature: string;
	    messageType: string;
	    digest: string;
	    file: string;
	    valid: boolean;
	}
	
	export interface TemporaryInput {
	    name: string;
	    secretId: string;
	    secretKey: string;
	    token: string;
	    expiry: number;
	}
	export interface TestResult {
	    ok: boolean;
	    code: string;
	    message: string;
	    latencyMs: number;
	    keyCount: number;
	    region: string;
	    serviceEnabled: boolean;
	}
	export interface TextDecryptInput {
	    blob: string;
	    context: ContextPair[];
	}
	export interface TextDecryptResult {
	    keyId: string;
	    text: string;
	    isText: boolean;
	    base64: string;
	    bytes: number;
	}
	export interface TextEncryptInput {
	    keyId: string;
	    text: string;
	    isBase64: boolean;
	    context: ContextPair[];
	}
	export interface TextEncryptResult {
	    blob: string;
	    keyId: string;
	    bytes: number;
	}
	export interface UIMark {
	    name: string;
	    atMs: number;
	}
	export interface UIReady {
	    view: string;
	    rows: number;
	    marks: UIMark[];
	}

}

