export namespace credentials {
	
	export class ImportResult {
	    imported: string[];
	    replaced: string[];
	    skipped: string[];
	    renamed: {[key: string]: string};
	    conflicts: string[];
	
	    static createFrom(source: any = {}) {
	        return new ImportResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.imported = source["imported"];
	        this.replaced = source["replaced"];
	        this.skipped = source["skipped"];
	        this.renamed = source["renamed"];
	        this.conflicts = source["conflicts"];
	    }
	}
	export class TempInfo {
	    roleArn?: string;
	    roleSessionName?: string;
	    durationSeconds?: number;
	    // Go type: time
	    expiry: any;
	    hasCredentials: boolean;
	    secondsLeft: number;
	    storage?: string;
	
	    static createFrom(source: any = {}) {
	        return new TempInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.roleArn = source["roleArn"];
	        this.roleSessionName = source["roleSessionName"];
	        this.durationSeconds = source["durationSeconds"];
	        this.expiry = this.convertValues(source["expiry"], null);
	        this.hasCredentials = source["hasCredentials"];
	        this.secondsLeft = source["secondsLeft"];
	        this.storage = source["storage"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Profile {
	    name: string;
	    kind: string;
	    region: string;
	    endpoint: string;
	    secretIdMasked: string;
	    timeoutSeconds: number;
	    language: string;
	    hasSecret: boolean;
	    secretStorage: string;
	    sessionOnly: boolean;
	    temporary?: TempInfo;
	
	    static createFrom(source: any = {}) {
	        return new Profile(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.kind = source["kind"];
	        this.region = source["region"];
	        this.endpoint = source["endpoint"];
	        this.secretIdMasked = source["secretIdMasked"];
	        this.timeoutSeconds = source["timeoutSeconds"];
	        this.language = source["language"];
	        this.hasSecret = source["hasSecret"];
	        this.secretStorage = source["secretStorage"];
	        this.sessionOnly = source["sessionOnly"];
	        this.temporary = this.convertValues(source["temporary"], TempInfo);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Region {
	    id: string;
	    nameZh: string;
	    nameEn: string;
	
	    static createFrom(source: any = {}) {
	        return new Region(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.nameZh = source["nameZh"];
	        this.nameEn = source["nameEn"];
	    }
	}
	export class Status {
	    available: boolean;
	    backend: string;
	    code?: string;
	    message?: string;
	    hint?: string;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.available = source["available"];
	        this.backend = source["backend"];
	        this.code = source["code"];
	        this.message = source["message"];
	        this.hint = source["hint"];
	    }
	}

}

export namespace kms {
	
	export class Algorithm {
	    keyUsage: string;
	    algorithm: string;
	
	    static createFrom(source: any = {}) {
	        return new Algorithm(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyUsage = source["keyUsage"];
	        this.algorithm = source["algorithm"];
	    }
	}
	export class Algorithms {
	    symmetric: Algorithm[];
	    asymmetricDecrypt: Algorithm[];
	    asymmetricSign: Algorithm[];
	
	    static createFrom(source: any = {}) {
	        return new Algorithms(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.symmetric = this.convertValues(source["symmetric"], Algorithm);
	        this.asymmetricDecrypt = this.convertValues(source["asymmetricDecrypt"], Algorithm);
	        this.asymmetricSign = this.convertValues(source["asymmetricSign"], Algorithm);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CreateKeyInput {
	    alias: string;
	    description: string;
	    usage: string;
	    tags: {[key: string]: string};
	
	    static createFrom(source: any = {}) {
	        return new CreateKeyInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.alias = source["alias"];
	        this.description = source["description"];
	        this.usage = source["usage"];
	        this.tags = source["tags"];
	    }
	}
	export class Key {
	    keyId: string;
	    alias: string;
	    description: string;
	    keyState: string;
	    keyUsage: string;
	    origin: string;
	    owner: string;
	    createTime: number;
	    rotationEnabled: boolean;
	    nextRotateTime: number;
	    deletionDate: number;
	    validTo: number;
	    resourceId: string;
	    creatorUin: number;
	    complianceType: number;
	
	    static createFrom(source: any = {}) {
	        return new Key(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyId = source["keyId"];
	        this.alias = source["alias"];
	        this.description = source["description"];
	        this.keyState = source["keyState"];
	        this.keyUsage = source["keyUsage"];
	        this.origin = source["origin"];
	        this.owner = source["owner"];
	        this.createTime = source["createTime"];
	        this.rotationEnabled = source["rotationEnabled"];
	        this.nextRotateTime = source["nextRotateTime"];
	        this.deletionDate = source["deletionDate"];
	        this.validTo = source["validTo"];
	        this.resourceId = source["resourceId"];
	        this.creatorUin = source["creatorUin"];
	        this.complianceType = source["complianceType"];
	    }
	}
	export class KeyPage {
	    keys: Key[];
	    total: number;
	
	    static createFrom(source: any = {}) {
	        return new KeyPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keys = this.convertValues(source["keys"], Key);
	        this.total = source["total"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ListOptions {
	    offset: number;
	    limit: number;
	    search: string;
	    state: number;
	    usage: string;
	    orderAscending: boolean;
	    origin: string;
	    tags: {[key: string]: string[]};
	
	    static createFrom(source: any = {}) {
	        return new ListOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	        this.search = source["search"];
	        this.state = source["state"];
	        this.usage = source["usage"];
	        this.orderAscending = source["orderAscending"];
	        this.origin = source["origin"];
	        this.tags = source["tags"];
	    }
	}
	export class PublicKey {
	    keyId: string;
	    der: string;
	    pem: string;
	
	    static createFrom(source: any = {}) {
	        return new PublicKey(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyId = source["keyId"];
	        this.der = source["der"];
	        this.pem = source["pem"];
	    }
	}

}

export namespace service {
	
	export class AppInfo {
	    name: string;
	    version: string;
	    goVersion: string;
	    platform: string;
	    configDir: string;
	    logFile: string;
	
	    static createFrom(source: any = {}) {
	        return new AppInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.version = source["version"];
	        this.goVersion = source["goVersion"];
	        this.platform = source["platform"];
	        this.configDir = source["configDir"];
	        this.logFile = source["logFile"];
	    }
	}
	export class ContextPair {
	    key: string;
	    value: string;
	
	    static createFrom(source: any = {}) {
	        return new ContextPair(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.value = source["value"];
	    }
	}
	export class DecryptRequest {
	    paths: string[];
	    outputDir: string;
	    overwrite: string;
	    requireContext: ContextPair[];
	
	    static createFrom(source: any = {}) {
	        return new DecryptRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.paths = source["paths"];
	        this.outputDir = source["outputDir"];
	        this.overwrite = source["overwrite"];
	        this.requireContext = this.convertValues(source["requireContext"], ContextPair);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class EncryptRequest {
	    paths: string[];
	    keyId: string;
	    backupKeyIds: string[];
	    context: ContextPair[];
	    outputDir: string;
	    overwrite: string;
	    removeOriginals: boolean;
	    direct: boolean;
	
	    static createFrom(source: any = {}) {
	        return new EncryptRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.paths = source["paths"];
	        this.keyId = source["keyId"];
	        this.backupKeyIds = source["backupKeyIds"];
	        this.context = this.convertValues(source["context"], ContextPair);
	        this.outputDir = source["outputDir"];
	        this.overwrite = source["overwrite"];
	        this.removeOriginals = source["removeOriginals"];
	        this.direct = source["direct"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class InspectionKey {
	    keyId: string;
	    region: string;
	    type: number;
	
	    static createFrom(source: any = {}) {
	        return new InspectionKey(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyId = source["keyId"];
	        this.region = source["region"];
	        this.type = source["type"];
	    }
	}
	export class Inspection {
	    path: string;
	    kind: string;
	    size: number;
	    version: number;
	    suite: string;
	    keys: InspectionKey[];
	    encryptionContext: string;
	    plaintextSize: number;
	    creator: string;
	    hasMetadata: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Inspection(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.kind = source["kind"];
	        this.size = source["size"];
	        this.version = source["version"];
	        this.suite = source["suite"];
	        this.keys = this.convertValues(source["keys"], InspectionKey);
	        this.encryptionContext = source["encryptionContext"];
	        this.plaintextSize = source["plaintextSize"];
	        this.creator = source["creator"];
	        this.hasMetadata = source["hasMetadata"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Item {
	    path: string;
	    name: string;
	    isDir: boolean;
	    size: number;
	    files: number;
	    action: string;
	    kind: string;
	    errorCode: string;
	
	    static createFrom(source: any = {}) {
	        return new Item(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.name = source["name"];
	        this.isDir = source["isDir"];
	        this.size = source["size"];
	        this.files = source["files"];
	        this.action = source["action"];
	        this.kind = source["kind"];
	        this.errorCode = source["errorCode"];
	    }
	}
	export class JobInfo {
	    id: string;
	    kind: string;
	    files: number;
	    bytes: number;
	
	    static createFrom(source: any = {}) {
	        return new JobInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.files = source["files"];
	        this.bytes = source["bytes"];
	    }
	}
	export class JobStatus {
	    id: string;
	    kind: string;
	    state: string;
	    filesDone: number;
	    filesTotal: number;
	    bytesDone: number;
	    bytesTotal: number;
	    done: number;
	    failed: number;
	    skipped: number;
	    cancelled: number;
	    started: number;
	    seconds: number;
	
	    static createFrom(source: any = {}) {
	        return new JobStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.state = source["state"];
	        this.filesDone = source["filesDone"];
	        this.filesTotal = source["filesTotal"];
	        this.bytesDone = source["bytesDone"];
	        this.bytesTotal = source["bytesTotal"];
	        this.done = source["done"];
	        this.failed = source["failed"];
	        this.skipped = source["skipped"];
	        this.cancelled = source["cancelled"];
	        this.started = source["started"];
	        this.seconds = source["seconds"];
	    }
	}
	export class OpenedBlob {
	    path: string;
	    blob: string;
	
	    static createFrom(source: any = {}) {
	        return new OpenedBlob(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.blob = source["blob"];
	    }
	}
	export class Window {
	    width: number;
	    height: number;
	    x: number;
	    y: number;
	    maximised: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Window(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.width = source["width"];
	        this.height = source["height"];
	        this.x = source["x"];
	        this.y = source["y"];
	        this.maximised = source["maximised"];
	    }
	}
	export class Preferences {
	    language: string;
	    theme: string;
	    outputDir: string;
	    lastKeyId: string;
	    overwrite: string;
	    window: Window;
	
	    static createFrom(source: any = {}) {
	        return new Preferences(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.language = source["language"];
	        this.theme = source["theme"];
	        this.outputDir = source["outputDir"];
	        this.lastKeyId = source["lastKeyId"];
	        this.overwrite = source["overwrite"];
	        this.window = this.convertValues(source["window"], Window);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ProfileInput {
	    profile: credentials.Profile;
	    secretId: string;
	    secretKey: string;
	
	    static createFrom(source: any = {}) {
	        return new ProfileInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.profile = this.convertValues(source["profile"], credentials.Profile);
	        this.secretId = source["secretId"];
	        this.secretKey = source["secretKey"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class SignInput {
	    keyId: string;
	    algorithm: string;
	    message: string;
	    file: string;
	    signature: string;
	
	    static createFrom(source: any = {}) {
	        return new SignInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyId = source["keyId"];
	        this.algorithm = source["algorithm"];
	        this.message = source["message"];
	        this.file = source["file"];
	        this.signature = source["signature"];
	    }
	}
	export class SignResult {
	    signature: string;
	    messageType: string;
	    digest: string;
	    file: string;
	    valid: boolean;
	
	    static createFrom(source: any = {}) {
	        return new SignResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.signature = source["signature"];
	        this.messageType = source["messageType"];
	        this.digest = source["digest"];
	        this.file = source["file"];
	        this.valid = source["valid"];
	    }
	}
	export class TemporaryInput {
	    name: string;
	    secretId: string;
	    secretKey: string;
	    token: string;
	    expiry: number;
	
	    static createFrom(source: any = {}) {
	        return new TemporaryInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.secretId = source["secretId"];
	        this.secretKey = source["secretKey"];
	        this.token = source["token"];
	        this.expiry = source["expiry"];
	    }
	}
	export class TestResult {
	    ok: boolean;
	    code: string;
	    message: string;
	    latencyMs: number;
	    keyCount: number;
	    region: string;
	    serviceEnabled: boolean;
	
	    static createFrom(source: any = {}) {
	        return new TestResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ok = source["ok"];
	        this.code = source["code"];
	        this.message = source["message"];
	        this.latencyMs = source["latencyMs"];
	        this.keyCount = source["keyCount"];
	        this.region = source["region"];
	        this.serviceEnabled = source["serviceEnabled"];
	    }
	}
	export class TextDecryptInput {
	    blob: string;
	    context: ContextPair[];
	
	    static createFrom(source: any = {}) {
	        return new TextDecryptInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.blob = source["blob"];
	        this.context = this.convertValues(source["context"], ContextPair);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TextDecryptResult {
	    keyId: string;
	    text: string;
	    isText: boolean;
	    base64: string;
	    bytes: number;
	
	    static createFrom(source: any = {}) {
	        return new TextDecryptResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyId = source["keyId"];
	        this.text = source["text"];
	        this.isText = source["isText"];
	        this.base64 = source["base64"];
	        this.bytes = source["bytes"];
	    }
	}
	export class TextEncryptInput {
	    keyId: string;
	    text: string;
	    isBase64: boolean;
	    context: ContextPair[];
	
	    static createFrom(source: any = {}) {
	        return new TextEncryptInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyId = source["keyId"];
	        this.text = source["text"];
	        this.isBase64 = source["isBase64"];
	        this.context = this.convertValues(source["context"], ContextPair);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TextEncryptResult {
	    blob: string;
	    keyId: string;
	    bytes: number;
	
	    static createFrom(source: any = {}) {
	        return new TextEncryptResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.blob = source["blob"];
	        this.keyId = source["keyId"];
	        this.bytes = source["bytes"];
	    }
	}

}

