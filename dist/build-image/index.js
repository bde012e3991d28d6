/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 2613:
/***/ ((module) => {

module.exports = require("assert");

/***/ }),

/***/ 5317:
/***/ ((module) => {

module.exports = require("child_process");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = require("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = require("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = require("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = require("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = require("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = require("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = require("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = require("node:buffer");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = require("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = require("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = require("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = require("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = require("node:events");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = require("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = require("node:http2");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = require("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = require("node:os");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = require("node:perf_hooks");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = require("node:querystring");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = require("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = require("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = require("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = require("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = require("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = require("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = require("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = require("os");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = require("path");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = require("string_decoder");

/***/ }),

/***/ 3557:
/***/ ((module) => {

module.exports = require("timers");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = require("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = require("util");

/***/ }),

/***/ 3400:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Yz: () => (/* binding */ debug),
  z3: () => (/* binding */ error),
  V4: () => (/* binding */ getInput),
  Os: () => (/* binding */ group),
  pq: () => (/* binding */ info),
  _o: () => (/* binding */ isDebug),
  C1: () => (/* binding */ setFailed),
  uH: () => (/* binding */ setOutput),
  Pq: () => (/* binding */ setSecret),
  z: () => (/* reexport */ summary),
  $e: () => (/* binding */ warning)
});

// UNUSED EXPORTS: ExitCode, addPath, endGroup, exportVariable, getBooleanInput, getIDToken, getMultilineInput, getState, markdownSummary, notice, platform, saveState, setCommandEcho, startGroup, toPlatformPath, toPosixPath, toWin32Path

// EXTERNAL MODULE: external "os"
var external_os_ = __nccwpck_require__(857);
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function utils_toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function utils_toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function command_issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_.EOL);
}
function command_issue(name, message = '') {
    command_issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = require("crypto");
// EXTERNAL MODULE: external "fs"
var external_fs_ = __nccwpck_require__(9896);
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function file_command_issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_.appendFileSync(filePath, `${utils_toCommandValue(message)}${external_os_.EOL}`, {
        encoding: 'utf8'
    });
}
function file_command_prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_namespaceObject.randomUUID()}`;
    const convertedValue = utils_toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_.EOL}${convertedValue}${external_os_.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
// EXTERNAL MODULE: external "path"
var external_path_ = __nccwpck_require__(6928);
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/summary.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return __awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_.constants.R_OK | external_fs_.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return __awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return __awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = (/* unused pure expression or super */ null && (_summary));
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, path.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};

// Gantry patch: load @actions/exec (and child_process, @actions/io) only when the OS
// details are asked for, not in every action's start-up.
const loadExec = () => __nccwpck_require__.e(/* import() */ 32).then(__nccwpck_require__.bind(__nccwpck_require__, 3032));
const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield (yield loadExec()).getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield (yield loadExec()).getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield (yield loadExec()).getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield (yield loadExec()).getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_.platform();
const arch = external_os_.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};





/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function setSecret(secret) {
    command_issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${path.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return file_command_issueFileCommand('OUTPUT', file_command_prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_.EOL);
    command_issueCommand('set-output', { name }, utils_toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function debug(message) {
    command_issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    command_issueCommand('error', utils_toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    command_issueCommand('warning', utils_toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    command_issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    command_issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return issueFileCommand('STATE', prepareKeyValueMessage(name, value));
    }
    issueCommand('save-state', { name }, toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        // Gantry patch: load the OIDC client (and with it @actions/http-client and undici,
        // ~75 ms of start-up) only when an ID token is asked for.
        const { OidcClient } = yield __nccwpck_require__.e(/* import() */ 620).then(__nccwpck_require__.bind(__nccwpck_require__, 4620));
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map

/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/******/ 	// expose the modules object (__webpack_modules__)
/******/ 	__nccwpck_require__.m = __webpack_modules__;
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/asset-relocator-loader */
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/******/ 	/* webpack/runtime/compat get default export */
/******/ 	(() => {
/******/ 		// getDefaultExport function for compatibility with non-harmony modules
/******/ 		__nccwpck_require__.n = (module) => {
/******/ 			var getter = module && module.__esModule ?
/******/ 				() => (module['default']) :
/******/ 				() => (module);
/******/ 			__nccwpck_require__.d(getter, { a: getter });
/******/ 			return getter;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/create fake namespace object */
/******/ 	(() => {
/******/ 		var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 		var leafPrototypes;
/******/ 		// create a fake namespace object
/******/ 		// mode & 1: value is a module id, require it
/******/ 		// mode & 2: merge all properties of value into the ns
/******/ 		// mode & 4: return value when already ns object
/******/ 		// mode & 16: return value when it's Promise-like
/******/ 		// mode & 8|1: behave like require
/******/ 		__nccwpck_require__.t = function(value, mode) {
/******/ 			if(mode & 1) value = this(value);
/******/ 			if(mode & 8) return value;
/******/ 			if(typeof value === 'object' && value) {
/******/ 				if((mode & 4) && value.__esModule) return value;
/******/ 				if((mode & 16) && typeof value.then === 'function') return value;
/******/ 			}
/******/ 			var ns = Object.create(null);
/******/ 			__nccwpck_require__.r(ns);
/******/ 			var def = {};
/******/ 			leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 			for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 				Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 			}
/******/ 			def['default'] = () => (value);
/******/ 			__nccwpck_require__.d(ns, def);
/******/ 			return ns;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/define property getters */
/******/ 	(() => {
/******/ 		// define getter functions for harmony exports
/******/ 		__nccwpck_require__.d = (exports, definition) => {
/******/ 			for(var key in definition) {
/******/ 				if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 					Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 				}
/******/ 			}
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/ensure chunk */
/******/ 	(() => {
/******/ 		__nccwpck_require__.f = {};
/******/ 		// This file contains only the entry chunk.
/******/ 		// The chunk loading function for additional chunks
/******/ 		__nccwpck_require__.e = (chunkId) => {
/******/ 			return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 				__nccwpck_require__.f[key](chunkId, promises);
/******/ 				return promises;
/******/ 			}, []));
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/get javascript chunk filename */
/******/ 	(() => {
/******/ 		// This function allow to reference async chunks
/******/ 		__nccwpck_require__.u = (chunkId) => {
/******/ 			// return url for filenames based on template
/******/ 			return "" + chunkId + ".index.js";
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/hasOwnProperty shorthand */
/******/ 	(() => {
/******/ 		__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/make namespace object */
/******/ 	(() => {
/******/ 		// define __esModule on exports
/******/ 		__nccwpck_require__.r = (exports) => {
/******/ 			if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 				Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 			}
/******/ 			Object.defineProperty(exports, '__esModule', { value: true });
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/require chunk loading */
/******/ 	(() => {
/******/ 		// no baseURI
/******/ 		
/******/ 		// object to store loaded chunks
/******/ 		// "1" means "loaded", otherwise not loaded yet
/******/ 		var installedChunks = {
/******/ 			792: 1
/******/ 		};
/******/ 		
/******/ 		// no on chunks loaded
/******/ 		
/******/ 		var installChunk = (chunk) => {
/******/ 			var moreModules = chunk.modules, chunkIds = chunk.ids, runtime = chunk.runtime;
/******/ 			for(var moduleId in moreModules) {
/******/ 				if(__nccwpck_require__.o(moreModules, moduleId)) {
/******/ 					__nccwpck_require__.m[moduleId] = moreModules[moduleId];
/******/ 				}
/******/ 			}
/******/ 			if(runtime) runtime(__nccwpck_require__);
/******/ 			for(var i = 0; i < chunkIds.length; i++)
/******/ 				installedChunks[chunkIds[i]] = 1;
/******/ 		
/******/ 		};
/******/ 		
/******/ 		// require() chunk loading for javascript
/******/ 		__nccwpck_require__.f.require = (chunkId, promises) => {
/******/ 			// "1" is the signal for "already loaded"
/******/ 			if(!installedChunks[chunkId]) {
/******/ 				if(true) { // all chunks have JS
/******/ 					installChunk(require("./" + __nccwpck_require__.u(chunkId)));
/******/ 				} else installedChunks[chunkId] = 1;
/******/ 			}
/******/ 		};
/******/ 		
/******/ 		// no external install chunk
/******/ 		
/******/ 		// no HMR
/******/ 		
/******/ 		// no HMR manifest
/******/ 	})();
/******/ 	
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = require("node:fs");
;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = require("node:fs/promises");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = require("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
// EXTERNAL MODULE: ../../node_modules/@actions/core/lib/core.js + 7 modules
var lib_core = __nccwpck_require__(3400);
;// CONCATENATED MODULE: ./src/lib/errors.ts
/**
 * Errors that are the user's to fix, told apart from bugs at each action's one error
 * boundary (src/common/run.ts). Their message is shown as a single `::error::` line, so it
 * must say what was wrong and what was expected, and must never hold a secret.
 */
class errors_UserError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UserError';
    }
}
/** A bad or missing input: the message names the input and what it expected. */
class errors_InputError extends errors_UserError {
    input;
    /** The message without the input's name, for callers that name the input their own way. */
    detail;
    constructor(input, message) {
        super(`Input \`${input}\`${message.startsWith('is ') ? ' ' : ': '}${message}`);
        this.name = 'InputError';
        this.input = input;
        this.detail = message;
    }
}
function isUserError(e) {
    return e instanceof errors_UserError;
}
/** The message of anything thrown, without assuming it is an Error. */
function errorMessage(e) {
    if (e instanceof Error)
        return e.message;
    if (typeof e === 'string')
        return e;
    try {
        return JSON.stringify(e);
    }
    catch {
        return String(e);
    }
}

;// CONCATENATED MODULE: ./src/lib/untrusted.ts
/**
 * Text that comes from outside — image content, registry and service responses, inputs —
 * made safe to show. Two dangers: credentials written into references and URLs
 * (`https://user:token@host`, `user:pass@registry/repo`), and text that the runner would
 * read as a workflow command (`::error::…`, `##[…]`) once it starts a line of the log.
 *
 * The GitHub runner splits a step's output into lines on `\n`, `\r` and `\r\n`, trims
 * leading whitespace, and treats a line starting with `::` (or the legacy `##[`) as a
 * command (actions/runner ActionCommand.TryParseV2 / TryParse).
 *
 * - `redactCredentials`: userinfo out of every URL and reference in a text.
 * - `neutralize`: one line, control and bidi characters escaped, bounded: for embedding a
 *   piece of untrusted text inside one of our messages.
 * - `safeLogText`: the last line of defence, applied by the logger to everything it writes:
 *   no line of it can start a workflow command, and no control character reaches the log.
 */
/** `scheme://userinfo@` — any userinfo of a URL (a token may be the user part alone). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'`<>]+)@/gi;
/**
 * `user:pass@host/…` at the start of a word — an image reference or scp-like address with a
 * password. Needs the `:` (so `git@github.com:org/repo` keeps its harmless user) and a `/`
 * after the host (so `repo@sha256:…` is left alone).
 */
const REFERENCE_USERINFO = /(^|[\s"'`(<[=,;])([^\s/@:"'`<>]+:[^\s/@"'`<>]*)@(?=[^\s/@"'`<>]+\/)/g;
/** Replaces the userinfo of every URL and reference in `text` with `***`. */
function redactCredentials(text) {
    if (!text.includes('@'))
        return text;
    return text
        .replace(URL_USERINFO, (_m, scheme) => `${scheme}***@`)
        .replace(REFERENCE_USERINFO, (_m, before) => `${before}***@`);
}
/** The userinfo parts of the URLs and references in `text` (to mask them before anything is logged). */
function credentialsIn(text) {
    const out = [];
    if (!text.includes('@'))
        return out;
    for (const m of text.matchAll(URL_USERINFO))
        out.push(...userinfoParts(m[2]));
    for (const m of text.matchAll(REFERENCE_USERINFO))
        out.push(...userinfoParts(m[2]));
    return [...new Set(out.filter(s => s.length >= 3))];
}
function userinfoParts(userinfo) {
    const out = [];
    for (const u of new Set([userinfo, safeDecode(userinfo)])) {
        out.push(u);
        const i = u.indexOf(':');
        if (i >= 0)
            out.push(u.slice(i + 1));
    }
    return out;
}
function safeDecode(s) {
    try {
        return decodeURIComponent(s);
    }
    catch {
        return s;
    }
}
/**
 * Characters that must not reach the log raw: C0 controls, DEL, C1 controls, the Unicode
 * line and paragraph separators, and the bidirectional controls ("Trojan Source").
 */
const OTHER_UNSAFE = '\\u007f-\\u009f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[\\u0000-\\u001f${OTHER_UNSAFE}]`, 'g');
/** The same, but tabs and line breaks (the logger splits lines itself) pass. */
const UNSAFE_KEEP_TAB = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${OTHER_UNSAFE}]`, 'g');
const NAMED = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
function escapeChar(c) {
    return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
/** Default bound on a piece of untrusted text inside a message. */
const MAX_UNTRUSTED_CHARS = 1000;
/**
 * Untrusted text as one safe line: credentials redacted, control and bidi characters
 * escaped (`\n`, `\r`, `\u001b` …), at most `maxChars` characters of it (the rest counted,
 * not shown).
 */
function neutralize(text, maxChars = MAX_UNTRUSTED_CHARS) {
    // Redact before cutting: a cut could leave `https://user:tok` without its `@`.
    let s = redactCredentials(String(text));
    let more = 0;
    if (s.length > maxChars) {
        more = s.length - maxChars;
        s = s.slice(0, maxChars);
        // Do not cut a surrogate pair in half.
        if (/[\ud800-\udbff]$/.test(s)) {
            s = s.slice(0, -1);
            more++;
        }
    }
    s = s.replace(UNSAFE, escapeChar);
    return more ? `${s}… (${more} more characters)` : s;
}
/** A zero-width space: invisible, not whitespace to the runner, so the line is no command. */
const COMMAND_BREAK = '\u200b';
const COMMAND_START = /^\s*(::|##\[)/;
/**
 * What the logger writes: credentials redacted; split into the lines the runner will see
 * (`\n`, `\r`, `\r\n`) and joined with `\n`; control and bidi characters other than tabs
 * escaped; and no line starting a workflow command.
 */
function safeLogText(text) {
    const redacted = redactCredentials(String(text));
    return redacted
        .split(/\r\n|\r|\n/)
        .map(line => {
        const l = line.replace(UNSAFE_KEEP_TAB, escapeChar);
        return COMMAND_START.test(l) ? COMMAND_BREAK + l : l;
    })
        .join('\n');
}
/** Whether one line of a step's output would be read by the runner as a workflow command. */
function startsWorkflowCommand(line) {
    return COMMAND_START.test(line);
}

;// CONCATENATED MODULE: ./src/common/run.ts
/**
 * The one error boundary of every action. A user mistake (UserError, InputError) becomes
 * one `::error::` line that says what to fix; anything else is reported as a bug. Stacks go
 * to the debug log only, never to the visible output.
 */



async function runAction(name, main) {
    try {
        await main();
    }
    catch (e) {
        // The stack is for maintainers: only in a debug run (ACTIONS_STEP_DEBUG), never in the visible log.
        if (lib_core/* isDebug */._o() && e instanceof Error && e.stack)
            lib_core/* debug */.Yz(redactCredentials(e.stack));
        const oneLine = redactCredentials(errorMessage(e)).replace(/\s*[\r\n]+\s*/g, ' ');
        if (isUserError(e)) {
            lib_core/* setFailed */.C1(oneLine);
        }
        else {
            lib_core/* setFailed */.C1(`${name} failed unexpectedly (a Gantry bug; rerun with ACTIONS_STEP_DEBUG=true for the stack and report it): ${oneLine}`);
        }
    }
}
function toCore(p) {
    if (!p)
        return undefined;
    return p.title === undefined ? { ...p } : { ...p, title: safeLogText(p.title) };
}
/**
 * The Logger that stages hand to domain code. Everything it writes goes through
 * `safeLogText` (src/lib/untrusted.ts): credentials redacted, no control characters, and no
 * line that the runner would take for a workflow command — whatever a message quotes.
 */
const coreLogger = {
    debug: m => lib_core/* debug */.Yz(safeLogText(m)),
    info: m => lib_core/* info */.pq(safeLogText(m)),
    warning: (m, p) => lib_core/* warning */.$e(safeLogText(m), toCore(p)),
    error: (m, p) => lib_core/* error */.z3(safeLogText(m), toCore(p)),
    group: (name, fn) => lib_core/* group */.Os(safeLogText(name), fn)
};

;// CONCATENATED MODULE: ./src/common/summary.ts


/** Appends Markdown to the job summary; outside a runner (no GITHUB_STEP_SUMMARY) it is only logged at debug. */
async function writeSummary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) {
        lib_core/* debug */.Yz('GITHUB_STEP_SUMMARY is not set; job summary skipped');
        return;
    }
    await lib_core/* summary */.z.addRaw(redactCredentials(markdown), true).write();
}

;// CONCATENATED MODULE: ./src/common/stage.ts
/** Runs a stage as its own step: inputs from the runner, outcome to outputs and the summary. */





function stepContext() {
    return {
        logger: coreLogger,
        mask: s => lib_core/* setSecret */.Pq(s),
        env: process.env,
        workspace: process.env.GITHUB_WORKSPACE || process.cwd()
    };
}
/** Sets every output, writes the summary, then fails the step when the stage's check failed. */
async function report(o) {
    // Outputs are read by later steps and shown in logs: no credentials in them.
    for (const [name, value] of Object.entries(o.outputs))
        lib_core/* setOutput */.uH(name, redactCredentials(value));
    if (o.summary)
        await writeSummary(o.summary);
    if (o.failure !== undefined) {
        if (o.failureAnnotated) {
            lib_core/* info */.pq(safeLogText(o.failure));
            process.exitCode = 1;
        }
        else
            throw new errors_UserError(o.failure);
    }
}

;// CONCATENATED MODULE: ./src/lib/reference.ts
/**
 * Image references, parsed and validated by one parser (the grammar of
 * distribution/reference): `[registry/]path[:tag][@algo:hex]`.
 */

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_ALGOS = {
    sha256: /^[a-f0-9]{64}$/,
    sha384: /^[a-f0-9]{96}$/,
    sha512: /^[a-f0-9]{128}$/
};
/** Why a string is not an image reference; undefined when it is one. */
function invalid(ref) {
    if (ref.trim() !== ref || ref === '')
        return { reason: 'it is empty or has surrounding spaces' };
    if (/\s/.test(ref))
        return { reason: 'it contains whitespace' };
    let rest = ref;
    let digest;
    const at = rest.indexOf('@');
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        const colon = digest.indexOf(':');
        const algo = colon > 0 ? digest.slice(0, colon) : '';
        const hex = digest.slice(colon + 1);
        const pattern = DIGEST_ALGOS[algo];
        if (!pattern)
            return {
                reason: `its digest ${JSON.stringify(digest)} is not of the form sha256:<64 hex digits>`
            };
        if (!pattern.test(hex)) {
            return {
                reason: `its digest must be ${algo}: followed by ${pattern.source.match(/\{(\d+)\}/)[1]} lowercase hex digits`
            };
        }
    }
    let tag;
    const lastSlash = rest.lastIndexOf('/');
    const tagColon = rest.indexOf(':', lastSlash + 1);
    if (tagColon >= 0) {
        tag = rest.slice(tagColon + 1);
        rest = rest.slice(0, tagColon);
        if (!TAG.test(tag)) {
            return {
                reason: `its tag ${JSON.stringify(tag)} must be 1-128 characters of letters, digits, _ . - and not start with . or -`
            };
        }
    }
    if (rest === '')
        return { reason: 'it has no repository name' };
    if (rest.length > 255)
        return { reason: 'its name is longer than 255 characters' };
    const parts = rest.split('/');
    let registry = DOCKER_HUB;
    const first = parts[0];
    if (parts.length > 1 &&
        (first.includes('.') ||
            first.includes(':') ||
            first === 'localhost' ||
            /[A-Z]/.test(first) ||
            first.startsWith('['))) {
        if (!DOMAIN.test(first))
            return { reason: `its registry ${JSON.stringify(first)} is not a valid host[:port]` };
        registry = first;
        parts.shift();
    }
    for (const c of parts) {
        if (c === '')
            return { reason: 'its repository has an empty path component (// or a trailing /)' };
        if (/[A-Z]/.test(c))
            return { reason: `its repository name must be lowercase (got ${JSON.stringify(c)})` };
        if (!PATH_COMPONENT.test(c)) {
            return {
                reason: `its repository component ${JSON.stringify(c)} must be lowercase letters and digits, separated by . _ __ or -`
            };
        }
    }
    let repository = parts.join('/');
    if (registry === DOCKER_HUB && parts.length === 1)
        repository = `library/${repository}`;
    return { parsed: { registry, repository, tag, digest } };
}
/** Parses a reference or throws an InputError naming `input`. */
function parseReference(input, ref) {
    const r = invalid(ref);
    if ('reason' in r) {
        throw new errors_InputError(input, `expected an image reference such as registry.example.com/team/app:1.0 or app@sha256:<digest>; ${JSON.stringify(ref)} is not one: ${r.reason}`);
    }
    return r.parsed;
}
/** True when `ref` is a valid image reference. */
function isReference(ref) {
    return 'parsed' in invalid(ref);
}
/** A reference that must carry a digest (what every later stage is handed). */
function parsePinnedReference(input, ref) {
    const r = parseReference(input, ref);
    if (!r.digest)
        throw new InputError(input, `expected a reference pinned by digest (name@sha256:…), got ${JSON.stringify(ref)}`);
    return r;
}
/** `registry/repository` as the user writes it, without `docker.io/library/` noise. */
function repositoryName(r) {
    if (r.registry === DOCKER_HUB) {
        return r.repository.startsWith('library/')
            ? r.repository.slice('library/'.length)
            : r.repository;
    }
    return `${r.registry}/${r.repository}`;
}
/** The canonical string form: `registry/repo[:tag][@digest]`. */
function formatReference(r) {
    let s = repositoryName(r);
    if (r.tag)
        s += `:${r.tag}`;
    if (r.digest)
        s += `@${r.digest}`;
    return s;
}
/** `repo@digest`: the immutable form handed from stage to stage. */
function pinned(r, digest) {
    return `${repositoryName(r)}@${digest}`;
}
/** The host to call for the registry API (docker.io is served from registry-1.docker.io). */
function apiHost(r) {
    return r.registry === DOCKER_HUB ? DOCKER_HUB_API : r.registry;
}
/** Whether a digest string is well formed (sha256/384/512). */
function isDigest(d) {
    const i = d.indexOf(':');
    const p = DIGEST_ALGOS[d.slice(0, i)];
    return !!p && p.test(d.slice(i + 1));
}
/** A digest input on its own (`sha256:…`). */
function parseDigest(input, d) {
    if (!isDigest(d))
        throw new InputError(input, `expected a digest such as sha256:<64 lowercase hex digits>, got ${JSON.stringify(d)}`);
    return d;
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_);
;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = require("node:child_process");
;// CONCATENATED MODULE: ./src/lib/process.ts
/**
 * Runs programs with argument arrays (never a shell string built from input), with a
 * timeout that kills the whole process group, bounded output capture, and optional
 * line callbacks for streaming logs.
 */

function lineSplitter(cb) {
    let rest = '';
    return {
        push(s) {
            if (!cb)
                return;
            rest += s;
            let i;
            while ((i = rest.indexOf('\n')) >= 0) {
                cb(rest.slice(0, i).replace(/\r$/, ''));
                rest = rest.slice(i + 1);
            }
        },
        end() {
            if (cb && rest)
                cb(rest);
            rest = '';
        }
    };
}
/** Runs `cmd args…` and resolves with its exit code and output; never rejects on a non-zero exit. */
function exec(cmd, args, opts = {}) {
    const max = opts.maxBuffer ?? 16 * 1024 * 1024;
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_namespaceObject.spawn)(cmd, args, {
            cwd: opts.cwd,
            env: opts.env ?? process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
            detached: true
        });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const out = lineSplitter(opts.onStdoutLine);
        const err = lineSplitter(opts.onStderrLine);
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (s) => {
            stdout = (stdout + s).slice(-max);
            out.push(s);
        });
        child.stderr.on('data', (s) => {
            stderr = (stderr + s).slice(-max);
            err.push(s);
        });
        const timer = opts.timeoutMs !== undefined
            ? setTimeout(() => {
                timedOut = true;
                killGroup(child.pid);
            }, opts.timeoutMs)
            : undefined;
        child.on('error', e => {
            if (timer)
                clearTimeout(timer);
            reject(e);
        });
        child.on('close', (code, signal) => {
            if (timer)
                clearTimeout(timer);
            out.end();
            err.end();
            resolve({
                code: code ?? (signal ? 128 + 9 : 1),
                stdout,
                stderr,
                timedOut,
                durationMs: Date.now() - start
            });
        });
        child.stdin.on('error', () => undefined);
        if (opts.input !== undefined)
            child.stdin.end(opts.input);
        else
            child.stdin.end();
    });
}
function killGroup(pid) {
    if (!pid)
        return;
    try {
        process.kill(-pid, 'SIGKILL');
    }
    catch {
        try {
            process.kill(pid, 'SIGKILL');
        }
        catch {
            /* already gone */
        }
    }
}

;// CONCATENATED MODULE: ./src/lib/docker.ts
/**
 * The docker CLI, behind an interface so domain code can be tested with a fake that
 * records argv. Always argument arrays; the client is the first `docker` on PATH unless
 * told otherwise (build-image picks a client per engine path).
 */





class DockerCli {
    binary;
    env;
    constructor(binary = 'docker', env) {
        this.binary = binary;
        this.env = env;
    }
    async run(args, opts = {}) {
        try {
            return await exec(this.binary, args, { env: this.env, ...opts });
        }
        catch (e) {
            if (e.code === 'ENOENT') {
                throw new errors_UserError(`The docker client (${this.binary}) is not installed on this runner`);
            }
            throw e;
        }
    }
}
/** Runs a docker command that must succeed; its stderr tail becomes the error. */
async function dockerOk(docker, args, what, opts = {}) {
    const r = await docker.run(args, opts);
    if (r.code !== 0) {
        const tail = r.stderr.trim().split('\n').slice(-5).join(' ').trim();
        throw new UserError(`${what} failed${r.timedOut ? ' (timed out)' : ''}: ${tail || `docker exited ${r.code}`}`);
    }
    return r.stdout;
}
/** The label every container Gantry creates carries, so none can leak unnoticed. */
const GANTRY_LABEL = 'dev.gantry.managed';
/** Labels for a container created by a stage: `dev.gantry.managed=<stage>` plus the run id. */
function containerLabels(stage) {
    const run = process.env.GITHUB_RUN_ID ?? 'local';
    return ['--label', `${GANTRY_LABEL}=${stage}`, '--label', `dev.gantry.run=${run}`];
}
/** Removes a container, ignoring "no such container". */
async function removeContainer(docker, id) {
    await docker.run(['rm', '-f', '-v', id]);
}
/**
 * The socket the docker client would use, when it is a local unix socket; else undefined
 * (a tcp:// or ssh:// DOCKER_HOST, DOCKER_CONTEXT, or a current context in the docker
 * config): where the Engine API may be spoken directly instead of spawning the CLI.
 */
function engineSocket(env = process.env, defaultSocket = '/var/run/docker.sock') {
    if (env.DOCKER_CONTEXT)
        return undefined;
    const host = env.DOCKER_HOST;
    let socket;
    if (host) {
        if (!host.startsWith('unix://'))
            return undefined;
        socket = host.slice('unix://'.length);
    }
    else {
        // Without DOCKER_HOST the client follows the config's current context (`docker context use`).
        const dir = env.DOCKER_CONFIG || external_node_path_default().join(env.HOME || external_node_os_default().homedir(), '.docker');
        try {
            const config = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(dir, 'config.json'), 'utf8'));
            if (config.currentContext && config.currentContext !== 'default')
                return undefined;
        }
        catch {
            /* no config (or not JSON, which the client would refuse): the default socket */
        }
        socket = defaultSocket;
    }
    try {
        return (0,external_node_fs_namespaceObject.statSync)(socket).isSocket() ? socket : undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/lib/build/args.ts
/**
 * The build command for each engine path, as a pure function of the resolved request:
 * inputs → exact argv (tested as one table). An input the path cannot honour is an
 * InputError that says so, or a warning when the build can still do what was asked.
 */

const PATH_NAME = {
    buildx: 'buildx',
    buildkit: 'BuildKit through the classic docker client (no buildx on this runner)',
    legacy: 'the legacy builder (no BuildKit on this runner)'
};
/** `type=registry,ref=x` → `x`; a bare reference stays; anything else is not for classic builders. */
function classicCacheFrom(entry, path) {
    if (!entry.includes('='))
        return entry;
    const attrs = Object.fromEntries(entry.split(',').map(kv => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
    }));
    if ((attrs.type ?? 'registry') === 'registry' && attrs.ref)
        return attrs.ref;
    throw new errors_InputError('cache-from', `${JSON.stringify(entry)} needs buildx; ${PATH_NAME[path]} only reads image references (or type=registry,ref=…) with inline cache`);
}
function getBuildCommand(engine, r) {
    const path = engine.path;
    const warnings = [];
    const args = path === 'buildx' ? ['buildx', 'build'] : ['build'];
    const cannot = (input, what) => new errors_InputError(input, `${what} needs buildx, and this build runs on ${PATH_NAME[path]}`);
    if (path !== 'buildx') {
        if (r.platforms.length > 1)
            throw cannot('platforms', 'a list of several platforms');
        if (r.provenance !== '' && r.provenance !== 'false')
            throw cannot('provenance', 'a provenance attestation');
        if (r.sbom !== '' && r.sbom !== 'false')
            throw cannot('sbom', 'an SBOM attestation');
        if (!r.load)
            warnings.push(`load: false is not possible on ${PATH_NAME[path]}: the classic builders always keep the image in the local engine`);
    }
    if (path === 'buildx' && !r.load && !r.push)
        warnings.push('push and load are both false: buildx keeps the result in its build cache only, and no image can be run or pushed from it');
    if (path === 'legacy' && r.secrets.length > 0)
        throw new errors_InputError('secrets', `build secrets need BuildKit, and this runner's docker has neither buildx nor BuildKit (legacy builder)`);
    args.push('--file', r.file);
    for (const t of r.tags)
        args.push('--tag', t);
    for (const [k, v] of r.labels)
        args.push('--label', `${k}=${v}`);
    for (const [k, v] of r.buildArgs)
        args.push('--build-arg', `${k}=${v}`);
    for (const s of r.secrets)
        args.push('--secret', `id=${s.id},${s.kind}=${s.source}`);
    if (r.target)
        args.push('--target', r.target);
    if (r.platforms.length > 0)
        args.push('--platform', r.platforms.join(','));
    if (r.pull)
        args.push('--pull');
    if (r.noCache)
        args.push('--no-cache');
    if (r.network)
        args.push('--network', r.network);
    for (const h of r.addHosts)
        args.push('--add-host', h);
    if (path === 'buildx') {
        for (const c of r.cacheFrom)
            args.push('--cache-from', c);
        for (const c of r.cacheTo)
            args.push('--cache-to', c);
        if (r.provenance !== '')
            args.push(`--provenance=${r.provenance}`);
        if (r.sbom !== '')
            args.push(`--sbom=${r.sbom}`);
        if (r.push)
            args.push('--push');
        if (r.load)
            args.push('--load');
        args.push('--metadata-file', r.metadataFile);
    }
    else {
        for (const c of r.cacheFrom)
            args.push('--cache-from', classicCacheFrom(c, path));
        for (const c of r.cacheTo) {
            const inline = c === 'type=inline' || c === 'inline';
            if (!inline || path === 'legacy')
                throw new errors_InputError('cache-to', `${JSON.stringify(c)} needs buildx; ${PATH_NAME[path]} ${path === 'legacy' ? 'cannot export a cache' : 'can only embed an inline cache (cache-to: type=inline)'}`);
            args.push('--build-arg', 'BUILDKIT_INLINE_CACHE=1');
        }
    }
    args.push('--iidfile', r.iidFile);
    // The legacy builder keeps a failed step's container unless told otherwise.
    if (path === 'legacy')
        args.push('--force-rm');
    else
        args.push('--progress', 'plain');
    args.push(r.context);
    return {
        args,
        env: engine.env,
        warnings,
        pushAfterBuild: path !== 'buildx' && r.push
    };
}

;// CONCATENATED MODULE: ./src/lib/build/dockerfile.ts
/**
 * Just enough of the Dockerfile grammar to point at the instruction that failed: logical
 * instructions (line continuations joined, comments inside them dropped, the `escape`
 * parser directive honoured), the line each starts on, and the stage it belongs to.
 */
/** Splits a Dockerfile into its instructions. */
function parseDockerfile(source) {
    const lines = source.split(/\r?\n/);
    let escape = '\\';
    // Parser directives: only at the very top, before any other line.
    for (const l of lines) {
        const m = l.match(/^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/);
        if (!m)
            break;
        if (m[1].toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\'))
            escape = m[2];
    }
    const out = [];
    let stage = -1;
    let stageName;
    for (let i = 0; i < lines.length; i++) {
        const first = lines[i].trim();
        if (first === '' || first.startsWith('#'))
            continue;
        const start = i + 1;
        let text = lines[i].replace(/^\s+/, '');
        while (text.replace(/\s+$/, '').endsWith(escape) && i + 1 < lines.length) {
            text = text.replace(/\s+$/, '').slice(0, -1);
            i++;
            // Comment and empty lines inside a continuation are dropped, as the builders do.
            while (i < lines.length && /^\s*(#.*)?$/.test(lines[i]) && i + 1 < lines.length)
                i++;
            text += lines[i];
        }
        text = text.replace(/\s+$/, '');
        const keyword = (text.match(/^\S+/)?.[0] ?? '').toUpperCase();
        if (keyword === 'FROM') {
            stage++;
            stageName = text.match(/\s+as\s+(\S+)\s*$/i)?.[1]?.toLowerCase();
        }
        out.push({ line: start, keyword, text, stage, stageName: keyword ? stageName : undefined });
    }
    return out;
}
const norm = (s) => s.replace(/\s+/g, ' ').trim();
/** The first instruction of `pool` whose text the builder printed (or the only one with its keyword). */
function matchInstruction(text, pool) {
    const wanted = norm(text);
    const hits = pool.filter(i => norm(i.text) === wanted);
    if (hits.length > 0)
        return hits[0];
    // ARGs expanded in the printed text: match on the keyword and the longest common prefix.
    const keyword = wanted.split(' ')[0].toUpperCase();
    const sameKeyword = pool.filter(i => i.keyword === keyword);
    return sameKeyword.length === 1 ? sameKeyword[0] : undefined;
}
/** `Dockerfile parse error line 5` (both builders) and newer `Dockerfile:5` error blocks. */
function explicitLine(output) {
    const parse = output.match(/parse error (?:on )?line (\d+)/i);
    if (parse)
        return Number(parse[1]);
    const block = output.match(/^(?:\S*\/)?[\w.-]*Dockerfile[\w.-]*:(\d+)\s*$/im);
    if (block)
        return Number(block[1]);
    return undefined;
}
const TAIL = 15;
/** Colour codes the legacy builder wraps around stderr of a step. */
// eslint-disable-next-line no-control-regex -- the escape character is what is being removed
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
/**
 * Where a BuildKit build (`--progress=plain`) failed: the `#N ERROR` step, its label
 * `[stage k/n] INSTRUCTION`, and its output lines.
 */
function locateBuildkitFailure(raw, dockerfile) {
    const instructions = parseDockerfile(dockerfile);
    const output = stripAnsi(raw);
    const lines = output.split(/\r?\n/);
    const errorLine = lines.find(l => /^#\d+ ERROR:?/.test(l));
    const message = errorLine?.replace(/^#\d+ ERROR:?\s*/, '') ??
        lines
            .filter(l => /^(ERROR|error|failed to solve)/.test(l))
            .pop()
            ?.replace(/^ERROR:\s*/, '') ??
        lines.filter(l => l.trim()).pop() ??
        'the build failed';
    const line = explicitLine(output);
    let step;
    let label;
    if (errorLine)
        step = errorLine.match(/^#(\d+)/)[1];
    if (step) {
        const header = lines.find(l => l.startsWith(`#${step} [`));
        label = header?.slice(`#${step} `.length);
    }
    else {
        label = lines
            .find(l => /^ > \[/.test(l))
            ?.replace(/^ > /, '')
            .replace(/:$/, '');
    }
    const stepOutput = step
        ? lines
            .filter(l => new RegExp(`^#${step} \\d+(\\.\\d+)? `).test(l))
            .map(l => l.replace(/^#\d+ \d+(\.\d+)? /, ''))
        : [];
    const result = {
        line,
        output: [...stepOutput, message].slice(-TAIL),
        message
    };
    const m = label?.match(/^\[(?:(\S+) )?\s*(\d+)\/(\d+)\] (.*)$/);
    if (m) {
        const [, name, , , text] = m;
        result.instruction = text;
        if (line === undefined) {
            let pool = instructions;
            if (name) {
                const lower = name.toLowerCase();
                const byName = instructions.filter(i => i.stageName === lower);
                const index = lower.match(/^stage-(\d+)$/);
                pool = byName.length
                    ? byName
                    : index
                        ? instructions.filter(i => i.stage === Number(index[1]))
                        : instructions;
            }
            result.line = (matchInstruction(text, pool) ?? matchInstruction(text, instructions))?.line;
        }
    }
    return result;
}
/** Where a legacy-builder build failed: the last `Step k/n : INSTRUCTION` and what it printed. */
function locateLegacyFailure(raw, dockerfile) {
    const instructions = parseDockerfile(dockerfile);
    const output = stripAnsi(raw);
    const lines = output.split(/\r?\n/);
    let stepAt = -1;
    for (let i = 0; i < lines.length; i++)
        if (/^Step \d+\/\d+ : /.test(lines[i]))
            stepAt = i;
    const nonEmpty = lines.filter(l => l.trim());
    const message = nonEmpty.pop() ?? 'the build failed';
    const line = explicitLine(output);
    if (stepAt < 0)
        return { line, output: [message], message };
    const m = lines[stepAt].match(/^Step (\d+)\/\d+ : (.*)$/);
    const k = Number(m[1]);
    const text = m[2];
    const stepOutput = lines
        .slice(stepAt + 1)
        .filter(l => l.trim() && !/^ ---> /.test(l) && !/^Removing intermediate container/.test(l));
    const byIndex = instructions[k - 1];
    const instruction = byIndex && norm(byIndex.text) === norm(text)
        ? byIndex
        : (matchInstruction(text, instructions) ?? byIndex);
    return {
        line: line ?? instruction?.line,
        instruction: text,
        output: stepOutput.slice(-TAIL),
        message
    };
}

// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __nccwpck_require__(7030);
var external_node_net_default = /*#__PURE__*/__nccwpck_require__.n(external_node_net_);
;// CONCATENATED MODULE: ./src/lib/build/engine-api.ts
/**
 * The local engine's HTTP API over its unix socket, for what build-image reads back after a
 * build (the image's size, layers and labels): one GET over the socket takes ~1–3 ms, where
 * a `docker image inspect` process costs ~30 ms on a 2-core runner.
 *
 * Used only when the docker client would talk to that very socket: DOCKER_HOST unset or
 * `unix://…`, no DOCKER_CONTEXT, and no current context chosen in the docker config. A
 * tcp:// or ssh:// host, a context, or any unexpected answer goes through the CLI instead.
 * Paths carry no API version, so the engine answers in its own (a daemon that has dropped
 * old API versions still answers).
 */



/**
 * GET `apiPath` (unversioned) from the engine on `socket`, as one HTTP/1.0 exchange on a
 * plain socket: the engine answers without chunking and closes. (node:http would do, but
 * its first request in a process costs ~10 ms of lazy set-up, more than the whole exchange.)
 * Rejects on a transport error, a timeout, or an answer that is not plain HTTP/1.x.
 */
function apiGet(socket, apiPath, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
        const conn = external_node_net_default().createConnection({ path: socket });
        const chunks = [];
        conn.setTimeout(timeoutMs, () => conn.destroy(new Error(`engine API GET ${apiPath} timed out`)));
        conn.on('data', (c) => chunks.push(c));
        conn.on('error', reject);
        conn.on('end', () => {
            const all = Buffer.concat(chunks);
            const split = all.indexOf('\r\n\r\n');
            const head = all.subarray(0, split < 0 ? all.length : split).toString('latin1');
            const status = head.match(/^HTTP\/1\.[01] (\d{3})/);
            if (split < 0 || !status || /^transfer-encoding:\s*chunked/im.test(head)) {
                reject(new Error(`engine API GET ${apiPath}: not a plain HTTP/1.x answer`));
                return;
            }
            resolve({ status: Number(status[1]), body: all.subarray(split + 4).toString('utf8') });
        });
        // write, not end: a half-closed connection tells the engine the client went away.
        conn.write(`GET ${apiPath} HTTP/1.0\r\nHost: docker\r\nUser-Agent: gantry-build-image\r\n\r\n`);
    });
}
/**
 * The engine's inspection of an image: `{ image }` when it has it, `{ image: undefined }`
 * when it answers that it has not (404, e.g. buildx pushed without loading), undefined when
 * the API could not say (the caller asks the CLI then).
 */
async function inspectImageApi(socket, ref) {
    try {
        const r = await apiGet(socket, `/images/${encodeURIComponent(ref)}/json`);
        if (r.status === 404)
            return { image: undefined };
        if (r.status !== 200)
            return undefined;
        return { image: JSON.parse(r.body) };
    }
    catch {
        return undefined;
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
;// CONCATENATED MODULE: ./src/lib/build/engine.ts
/**
 * Which builder this runner has, in order of preference: `docker buildx build` (GitHub's
 * hosted runners); BuildKit through a classic client (`DOCKER_BUILDKIT=1 docker build`,
 * which a client without the buildx plugin refuses, so each client is probed); else the
 * legacy builder.
 *
 * Detection runs before every build, and each probe is a docker client process (~25–40 ms
 * on a 2-core runner), so it is kept cheap:
 * - on Linux, `buildx version` is asked only when a `docker-buildx` plugin file exists
 *   where the client looks for plugins (a client cannot find a plugin that is not there);
 * - the probes that remain run concurrently;
 * - the answer is cached for the rest of the job in RUNNER_TEMP, keyed by everything that
 *   could change it (each client binary's path, size and mtime, the buildx plugin files,
 *   the docker config file, DOCKER_HOST / DOCKER_CONTEXT / BUILDX_BUILDER / DOCKER_CONFIG),
 *   so a second build in the same job starts no probe at all.
 */





const ENGINE_LABEL = {
    buildx: 'buildx (docker buildx build)',
    buildkit: 'BuildKit through the classic client (DOCKER_BUILDKIT=1 docker build)',
    legacy: 'legacy builder (DOCKER_BUILDKIT=0 docker build)'
};
const defaultClientFactory = (binary, env) => new DockerCli(binary, { ...process.env, ...env });
/** Client candidates: the first `docker` on PATH, then Debian's /usr/bin/docker. */
const DEFAULT_CLIENTS = ['docker', '/usr/bin/docker'];
/** The file a client name runs: itself when it has a slash, else the first match on PATH. */
function resolveBinary(client, env = process.env) {
    if (client.includes('/'))
        return client;
    for (const dir of (env.PATH ?? '').split(':')) {
        if (dir && (0,external_node_fs_namespaceObject.existsSync)(`${dir}/${client}`))
            return `${dir}/${client}`;
    }
    return client;
}
function realBinary(client, env) {
    try {
        return (0,external_node_fs_namespaceObject.realpathSync)(resolveBinary(client, env));
    }
    catch {
        return client;
    }
}
/** The docker config directory: DOCKER_CONFIG, else ~/.docker. */
function configDir(env) {
    return env.DOCKER_CONFIG || external_node_path_default().join(env.HOME || external_node_os_default().homedir(), '.docker');
}
function readConfig(env) {
    try {
        return JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(configDir(env), 'config.json'), 'utf8'));
    }
    catch {
        return {};
    }
}
/**
 * The directories a Linux docker client searches for plugins (docker/cli
 * cli-plugins/manager): the config's `cli-plugins`, DOCKER_CLI_PLUGIN_EXTRA_DIRS, the config's
 * `cliPluginsExtraDirs`, then the system directories.
 */
function pluginDirs(env = process.env) {
    const extra = readConfig(env).cliPluginsExtraDirs;
    return [
        external_node_path_default().join(configDir(env), 'cli-plugins'),
        // Newer clients also read extra dirs from the environment; listing them costs nothing.
        ...(env.DOCKER_CLI_PLUGIN_EXTRA_DIRS ?? '').split((external_node_path_default()).delimiter).filter(Boolean),
        ...(Array.isArray(extra) ? extra.filter((d) => typeof d === 'string') : []),
        '/usr/local/lib/docker/cli-plugins',
        '/usr/local/libexec/docker/cli-plugins',
        '/usr/lib/docker/cli-plugins',
        '/usr/libexec/docker/cli-plugins'
    ];
}
/** `size:mtime:inode` of a file, or `-` when there is none: enough to see it change. */
function fingerprint(file) {
    try {
        const s = (0,external_node_fs_namespaceObject.statSync)(file);
        return `${s.size}:${s.mtimeMs}:${s.ino}`;
    }
    catch {
        return '-';
    }
}
/** Everything the answer depends on, as one string (hashed into the cache file's name). */
function detectionKey(clients, dirs, env) {
    return JSON.stringify({
        v: 1,
        platform: process.platform,
        uid: process.getuid?.() ?? -1,
        clients: clients.map(c => {
            const file = resolveBinary(c, env);
            const real = realBinary(c, env);
            return [c, file, real, fingerprint(real)];
        }),
        plugins: dirs ? dirs.map(d => [d, fingerprint(external_node_path_default().join(d, 'docker-buildx'))]) : null,
        config: fingerprint(external_node_path_default().join(configDir(env), 'config.json')),
        env: ['DOCKER_HOST', 'DOCKER_CONTEXT', 'BUILDX_BUILDER', 'DOCKER_CONFIG', 'HOME'].map(k => env[k] ?? null)
    });
}
function cacheFile(dir, key) {
    const hash = (0,external_node_crypto_.createHash)('sha256').update(key).digest('hex').slice(0, 24);
    return external_node_path_default().join(dir, `gantry-build-image-engine-${hash}.json`);
}
const PATHS = ['buildx', 'buildkit', 'legacy'];
function readCache(file) {
    try {
        const e = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(file, 'utf8'));
        if (!PATHS.includes(e.path) ||
            typeof e.client !== 'string' ||
            typeof e.env !== 'object' ||
            e.env === null ||
            !Object.values(e.env).every(v => typeof v === 'string'))
            return undefined;
        return { path: e.path, client: e.client, env: e.env };
    }
    catch {
        return undefined;
    }
}
function writeCache(file, engine) {
    try {
        (0,external_node_fs_namespaceObject.mkdirSync)(external_node_path_default().dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        (0,external_node_fs_namespaceObject.writeFileSync)(tmp, JSON.stringify(engine));
        (0,external_node_fs_namespaceObject.renameSync)(tmp, file); // atomic: a concurrent build reads the old file or the new one
    }
    catch {
        /* a cache that cannot be written only costs the next build its probes */
    }
}
async function ask(client, factory, env, args, ok) {
    try {
        const r = await factory(client, env).run(args, { timeoutMs: 20_000 });
        return r.code === 0 && ok(r.stdout) ? 'yes' : 'no';
    }
    catch {
        return 'absent'; // not installed
    }
}
const askBuildx = (client, factory) => ask(client, factory, {}, ['buildx', 'version'], () => true);
// A client that cannot use BuildKit refuses (`buildx component is missing`); one that can lists --secret.
const askBuildkit = (client, factory) => ask(client, factory, { DOCKER_BUILDKIT: '1' }, ['build', '--help'], out => out.includes('--secret'));
/**
 * `buildx`: whether a buildx plugin can be there (`unknown`: no idea, so every question is
 * asked at once; `present`: buildx is asked first and BuildKit only if no client has it;
 * `absent`: only BuildKit is asked).
 */
async function probe(clients, factory, buildx) {
    const askAllBuildkit = () => Promise.all(clients.map(c => askBuildkit(c, factory)));
    let bx = [];
    let bk = [];
    if (buildx === 'unknown') {
        ;
        [bx, bk] = await Promise.all([
            Promise.all(clients.map(c => askBuildx(c, factory))),
            askAllBuildkit()
        ]);
    }
    else if (buildx === 'present') {
        bx = await Promise.all(clients.map(c => askBuildx(c, factory)));
    }
    const x = bx.findIndex(a => a === 'yes');
    if (x >= 0)
        return { path: 'buildx', client: clients[x], env: {} };
    if (buildx !== 'unknown')
        bk = await askAllBuildkit();
    const k = bk.findIndex(a => a === 'yes');
    if (k >= 0)
        return { path: 'buildkit', client: clients[k], env: { DOCKER_BUILDKIT: '1' } };
    const installed = clients.findIndex((_c, i) => bk[i] !== 'absent' || (bx[i] !== undefined && bx[i] !== 'absent'));
    if (installed < 0)
        return { path: 'legacy', client: clients[0] ?? 'docker', env: {} };
    return { path: 'legacy', client: clients[installed], env: { DOCKER_BUILDKIT: '0' } };
}
async function detectEngine(clients = DEFAULT_CLIENTS, factory = defaultClientFactory, options = {}) {
    const env = options.env ?? process.env;
    const production = factory === defaultClientFactory;
    const cacheDir = options.cacheDir === undefined ? (production ? env.RUNNER_TEMP : undefined) : options.cacheDir;
    const dirs = options.pluginDirs === undefined
        ? production && process.platform === 'linux'
            ? pluginDirs(env)
            : null
        : options.pluginDirs;
    // Distinct binaries only: `docker` on PATH is often /usr/bin/docker itself.
    const distinct = [];
    const seen = new Set();
    for (const c of clients) {
        const real = realBinary(c, env);
        if (!seen.has(real)) {
            seen.add(real);
            distinct.push(c);
        }
    }
    const file = cacheDir ? cacheFile(cacheDir, detectionKey(clients, dirs, env)) : undefined;
    if (file) {
        const cached = readCache(file);
        if (cached) {
            options.logger?.debug(`Builder detection reused from this job (${file})`);
            return cached;
        }
    }
    const buildx = dirs === null
        ? 'unknown'
        : dirs.some(d => (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(d, 'docker-buildx')))
            ? 'present'
            : 'absent';
    const engine = await probe(distinct, factory, buildx);
    options.logger?.debug(`Builder detected by probing ${distinct.join(', ')}${buildx === 'absent' ? ` (no docker-buildx plugin in ${dirs.join(', ')})` : ''}`);
    if (file)
        writeCache(file, engine);
    return engine;
}

;// CONCATENATED MODULE: ./src/lib/build/progress.ts
/** Counts Dockerfile steps and those served from cache, from plain progress or legacy output. */
function countSteps(path, output) {
    const lines = output.split(/\r?\n/);
    if (path === 'legacy') {
        const total = lines.filter(l => /^Step \d+\/\d+ : /.test(l)).length;
        const cached = lines.filter(l => /^ ---> Using cache$/.test(l)).length;
        return { total, cached };
    }
    // BuildKit: `#5 [build 2/3] RUN …` (internal steps have no k/n), `#5 CACHED`.
    const steps = new Set();
    for (const l of lines) {
        const m = l.match(/^#(\d+) \[(?:\S+ )?\s*\d+\/\d+\] /);
        if (m)
            steps.add(m[1]);
    }
    const cached = new Set();
    for (const l of lines) {
        const m = l.match(/^#(\d+) CACHED\s*$/);
        if (m && steps.has(m[1]))
            cached.add(m[1]);
    }
    return { total: steps.size, cached: cached.size };
}
/** `tag: digest: sha256:… size: 528`, the last line of a successful `docker push`. */
function pushedDigest(output) {
    const all = [...output.matchAll(/digest: (sha256:[a-f0-9]{64}) size: \d+/g)];
    return all.length ? all[all.length - 1][1] : undefined;
}

;// CONCATENATED MODULE: ./src/lib/build/retry.ts
/** Retrying what a registry refuses for a moment (429, 5xx, a reset connection), with backoff. */
const TRANSIENT = [
    /\b429\b/,
    /too many requests/i,
    /\b50[0-4]\b/,
    /internal server error/i,
    /bad gateway/i,
    /service unavailable/i,
    /gateway time-?out/i,
    /connection reset/i,
    /ECONNRESET/,
    /broken pipe/i,
    /unexpected EOF/i,
    /: EOF\s*$/m,
    /i\/o timeout/i,
    /TLS handshake timeout/i,
    /server closed idle connection/i
];
/** Whether an error text (docker's stderr, a fetch error) says the failure is transient. */
function isTransient(text) {
    return TRANSIENT.some(p => p.test(text));
}
/** The wait before retry number `n` (1-based). */
function backoffDelay(n, o) {
    const base = Math.min(o.baseDelayMs * 2 ** (n - 1), o.maxDelayMs ?? 30_000);
    const jitter = 0.8 + 0.4 * (o.random ?? Math.random)();
    return Math.round(base * jitter);
}
/**
 * Runs `fn` until it succeeds, fails for a reason that is not transient, or attempts run
 * out; `onRetry` is told each retry. Resolves with the last attempt.
 */
async function retry(fn, o, onRetry = () => undefined) {
    const sleep = o.sleep ?? ((ms) => new Promise(r => setTimeout(r, ms)));
    for (let n = 1;; n++) {
        const a = await fn(n);
        if (a.ok || n >= o.attempts || !isTransient(a.error))
            return { ...a, attempts: n };
        const delay = backoffDelay(n, o);
        onRetry(n, delay, a.error);
        await sleep(delay);
    }
}

;// CONCATENATED MODULE: ./src/lib/build/build.ts
/**
 * One build from a resolved request: run the builder of the detected engine path, point at
 * the failing Dockerfile instruction when it fails, push with retries, and read back what
 * was made (image id, digest, size, layers, labels, cached steps).
 */










/** A build that failed in the Dockerfile: where, and what it printed. */
class DockerfileError extends errors_UserError {
    location;
    file;
    constructor(location, file) {
        super(`The image failed to build${location.line ? ` at ${file}:${location.line}` : ''}${location.instruction ? ` (${location.instruction.slice(0, 120)})` : ''}: ${location.message}`);
        this.location = location;
        this.file = file;
        this.name = 'DockerfileError';
    }
}
const DEFAULT_PUSH_RETRY = {
    attempts: 4,
    baseDelayMs: 2000,
    maxDelayMs: 20_000
};
async function inspectCli(docker, id) {
    const r = await docker.run(['image', 'inspect', '--format', '{{json .}}', id]);
    if (r.code !== 0)
        return undefined;
    return JSON.parse(r.stdout);
}
/** The built image as the engine sees it: over the API socket when there is one, else the CLI. */
async function inspect(docker, socket, id) {
    const viaApi = socket ? await inspectImageApi(socket, id) : undefined;
    return viaApi ? viaApi.image : inspectCli(docker, id);
}
/**
 * Runs the build. `dockerfileText` is read by the caller (it already checked the file exists);
 * `displayFile` is the Dockerfile path as annotations should show it.
 */
async function build(engine, req, dockerfileText, displayFile, deps) {
    const { docker, logger } = deps;
    const start = Date.now();
    const cmd = getBuildCommand(engine, req);
    for (const w of cmd.warnings)
        logger.warning(w);
    const socket = deps.socket === undefined
        ? deps.docker instanceof DockerCli
            ? engineSocket(process.env)
            : undefined
        : (deps.socket ?? undefined);
    let output = '';
    const r = await logger.group(`Build with ${ENGINE_LABEL[engine.path]}`, async () => {
        logger.info(`${engine.client} ${cmd.args.join(' ')}`);
        const onLine = (l) => {
            output += l + '\n';
            logger.info(l);
        };
        return docker.run(cmd.args, {
            env: { ...process.env, ...cmd.env },
            timeoutMs: deps.timeoutMs,
            onStdoutLine: onLine,
            onStderrLine: onLine
        });
    });
    if (r.code !== 0) {
        if (r.timedOut)
            throw new errors_UserError(`The build timed out after ${deps.timeoutMs} ms`);
        const location = engine.path === 'legacy'
            ? locateLegacyFailure(output, dockerfileText)
            : locateBuildkitFailure(output, dockerfileText);
        throw new DockerfileError(location, displayFile);
    }
    const buildMs = Date.now() - start;
    const steps = countSteps(engine.path, output);
    const imageId = (await (0,promises_namespaceObject.readFile)(req.iidFile, 'utf8')).trim();
    // Read the image back now, while the rest (push) goes on: neither waits for the other.
    const inspecting = inspect(docker, socket, imageId);
    inspecting.catch(() => undefined); // awaited below; a failed push must not leave it unhandled
    await (0,promises_namespaceObject.rm)(req.iidFile, { force: true });
    let buildxMetadata;
    if (engine.path === 'buildx') {
        try {
            buildxMetadata = JSON.parse(await (0,promises_namespaceObject.readFile)(req.metadataFile, 'utf8'));
        }
        catch {
            buildxMetadata = undefined;
        }
        await (0,promises_namespaceObject.rm)(req.metadataFile, { force: true });
    }
    const pushed = [];
    const pushStart = Date.now();
    if (req.push && cmd.pushAfterBuild) {
        await logger.group(`Push ${req.tags.length} reference(s)`, async () => {
            for (const tag of req.tags) {
                const a = await retry(async () => {
                    const p = await docker.run(['push', tag], {
                        env: { ...process.env, ...cmd.env },
                        timeoutMs: deps.timeoutMs,
                        onStdoutLine: l => logger.info(l),
                        onStderrLine: l => logger.info(l)
                    });
                    // docker push says why on stderr; its stdout is layer progress.
                    return {
                        ok: p.code === 0,
                        value: p.stdout,
                        error: (p.stderr.trim() || p.stdout).trim()
                    };
                }, deps.retry ?? DEFAULT_PUSH_RETRY, (n, delay, error) => logger.warning(`Push of ${tag} failed (attempt ${n}): ${error.split('\n').pop()}; retrying in ${(delay / 1000).toFixed(1)} s`));
                if (!a.ok) {
                    const last = a.error.split('\n').filter(Boolean).slice(-3).join(' ');
                    throw new errors_UserError(`Pushing ${tag} failed after ${a.attempts} attempt(s): ${last}`);
                }
                const digest = pushedDigest(a.value);
                if (!digest)
                    throw new errors_UserError(`docker push ${tag} succeeded but printed no manifest digest`);
                pushed.push({ tag, digest, attempts: a.attempts });
            }
        });
    }
    else if (req.push && engine.path === 'buildx') {
        const digest = typeof buildxMetadata?.['containerimage.digest'] === 'string'
            ? buildxMetadata['containerimage.digest']
            : '';
        if (!digest)
            throw new errors_UserError('buildx pushed the image but reported no manifest digest');
        for (const tag of req.tags)
            pushed.push({ tag, digest, attempts: 1 });
    }
    const pushMs = Date.now() - pushStart;
    const image = await inspecting;
    const digest = pushed[0]?.digest ?? '';
    const pinnedRef = digest ? pinned(parseReference('tags', pushed[0].tag), digest) : imageId;
    return {
        engine,
        imageId,
        digest,
        image: pinnedRef,
        tags: req.tags,
        pushed,
        steps,
        durationMs: Date.now() - start,
        buildMs,
        pushMs,
        size: image?.Size ?? 0,
        layers: image?.RootFS?.Layers?.length ?? 0,
        labels: image?.Config?.Labels ?? Object.fromEntries(req.labels),
        warnings: cmd.warnings,
        buildxMetadata
    };
}
/** The `metadata` output: what was built, as JSON (no secret values, only secret ids). */
function metadataJson(result, req) {
    return JSON.stringify({
        engine: result.engine.path,
        client: result.engine.client,
        'image-id': result.imageId,
        digest: result.digest,
        image: result.image,
        tags: result.tags,
        pushed: result.pushed.map(p => ({
            reference: `${repositoryName(parseReference('tags', p.tag))}@${p.digest}`,
            tag: p.tag,
            attempts: p.attempts
        })),
        labels: result.labels,
        'secret-ids': req.secrets.map(s => s.id),
        steps: result.steps,
        size: result.size,
        layers: result.layers,
        'duration-ms': result.durationMs,
        ...(result.buildxMetadata ? { buildx: result.buildxMetadata } : {})
    });
}

;// CONCATENATED MODULE: ./src/lib/build/commit.ts
/**
 * The commit time behind the `org.opencontainers.image.created` auto-label, read only when
 * that label needs it: from the event payload when it has one, else from the checkout with
 * one `git log` (a process: start it concurrently with the builder detection).
 */




const CREATED_LABEL = 'org.opencontainers.image.created';
/**
 * Whether the `created` auto-label needs the commit time: not when auto-labels are off, when
 * SOURCE_DATE_EPOCH gives the time (it wins), or when an explicit `created` label replaces it.
 */
function needsCommitTime(autoLabels, explicitLabels, env = process.env) {
    if (!autoLabels)
        return false;
    if (env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH))
        return false;
    return !explicitLabels.some(([k]) => k === CREATED_LABEL);
}
/** The commit time, from the event payload or the checkout, for a reproducible `created` label. */
async function commitTime(workspace, env = process.env) {
    const eventPath = env.GITHUB_EVENT_PATH;
    if (eventPath) {
        try {
            const event = JSON.parse(await (0,promises_namespaceObject.readFile)(eventPath, 'utf8'));
            if (event.head_commit?.timestamp)
                return event.head_commit.timestamp;
        }
        catch {
            /* missing or not JSON: fall back to git */
        }
    }
    if (!(0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(workspace, '.git')))
        return undefined;
    const r = await exec('git', ['-C', workspace, 'log', '-1', '--format=%cI'], {
        timeoutMs: 10_000
    }).catch(() => undefined);
    return r?.code === 0 ? r.stdout.trim() || undefined : undefined;
}

;// CONCATENATED MODULE: ./src/lib/build/labels.ts
/** `org.opencontainers.image.version`: a tag's name, a branch's name, `pr-N`, else the short sha. */
function versionFromRef(ref, sha) {
    const tag = ref?.match(/^refs\/tags\/(.+)$/);
    if (tag)
        return tag[1];
    const pr = ref?.match(/^refs\/pull\/(\d+)\//);
    if (pr)
        return `pr-${pr[1]}`;
    const branch = ref?.match(/^refs\/heads\/(.+)$/);
    if (branch)
        return branch[1].replace(/[^\w.-]/g, '-');
    return sha ? sha.slice(0, 7) : '';
}
function createdTime(ctx) {
    if (ctx.sourceDateEpoch && /^\d+$/.test(ctx.sourceDateEpoch))
        return new Date(Number(ctx.sourceDateEpoch) * 1000).toISOString();
    if (ctx.commitTime) {
        const d = new Date(ctx.commitTime);
        if (!Number.isNaN(d.getTime()))
            return d.toISOString();
    }
    return undefined;
}
/** The auto-labels; empty values are left out. */
function autoLabels(ctx) {
    const url = ctx.serverUrl && ctx.repository ? `${ctx.serverUrl}/${ctx.repository}` : '';
    const entries = [
        ['org.opencontainers.image.title', ctx.repository?.split('/').pop()],
        ['org.opencontainers.image.source', url],
        ['org.opencontainers.image.url', url],
        ['org.opencontainers.image.revision', ctx.sha],
        ['org.opencontainers.image.version', versionFromRef(ctx.ref, ctx.sha)],
        ['org.opencontainers.image.created', createdTime(ctx)]
    ];
    return entries.filter((e) => !!e[1]);
}
/** Auto-labels first, explicit labels win (same key → the explicit value, in its place). */
function mergeLabels(auto, explicit) {
    const keys = new Set(explicit.map(([k]) => k));
    return [...auto.filter(([k]) => !keys.has(k)), ...explicit];
}

;// CONCATENATED MODULE: ./src/lib/build/secrets.ts
/**
 * Build-time secrets go through BuildKit secret mounts, never build-args: a build-arg is
 * recorded in the image history. This module reads `secrets` entries and spots build-args
 * whose name looks like a credential.
 */

/** Name parts that mark a credential (`NPM_TOKEN`, `dbPassword`, `AWS_SECRET_ACCESS_KEY`). */
const CREDENTIAL_PARTS = new Set([
    'TOKEN',
    'SECRET',
    'SECRETS',
    'PASSWORD',
    'PASSWD',
    'PASS',
    'KEY',
    'APIKEY',
    'CREDENTIAL',
    'CREDENTIALS',
    'CREDS',
    'AUTH',
    'PAT',
    'PRIVATE'
]);
/** `npmToken` → [NPM, TOKEN]; `AWS_SECRET_ACCESS_KEY` → [AWS, SECRET, ACCESS, KEY]. */
function nameParts(name) {
    return name
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map(p => p.toUpperCase());
}
/** Whether a build-arg name looks like it carries a credential. */
function looksLikeCredential(name) {
    return nameParts(name).some(p => CREDENTIAL_PARTS.has(p));
}
/** Fails on credential-looking build-args unless the user allowed them. */
function checkBuildArgs(buildArgs, allow) {
    const suspicious = buildArgs.map(([k]) => k).filter(looksLikeCredential);
    if (suspicious.length > 0 && !allow) {
        throw new errors_InputError('build-args', `${suspicious.join(', ')} look${suspicious.length === 1 ? 's' : ''} like a credential; a build-arg is recorded in the image history for anyone who pulls it. Pass it with \`secrets\` (id=…,env=… or id=…,src=…) and RUN --mount=type=secret, or set allow-secret-build-args: true if it is not secret`);
    }
    return suspicious;
}
/** Reads one `secrets` entry: `id=name,src=path` (also `source=`) or `id=name,env=VAR`. */
function parseSecret(entry, n) {
    const attrs = {};
    for (const kv of entry.split(',')) {
        const i = kv.indexOf('=');
        if (i <= 0)
            throw new errors_InputError('secrets', `entry ${n + 1}: expected id=<name>,src=<file> or id=<name>,env=<VARIABLE>`);
        attrs[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
    }
    const id = attrs.id;
    const src = attrs.src ?? attrs.source;
    const env = attrs.env;
    const unknown = Object.keys(attrs).filter(k => !['id', 'src', 'source', 'env', 'type'].includes(k));
    if (!id || !/^[A-Za-z0-9_.-]+$/.test(id) || unknown.length > 0 || (!src && !env) || (src && env))
        throw new errors_InputError('secrets', `entry ${n + 1}: expected id=<name>,src=<file> or id=<name>,env=<VARIABLE> (exactly one of src and env)`);
    return src ? { id, kind: 'src', source: src } : { id, kind: 'env', source: env };
}

;// CONCATENATED MODULE: ./src/lib/summary.ts
/**
 * Job-summary building blocks as GitHub-flavoured Markdown. Stages assemble a summary
 * from these and write it once through @actions/core (src/common/summary.ts); domain
 * code can build parts of it without touching the toolkit.
 */
/** Escapes text for a Markdown table cell (pipes, newlines, HTML). */
function cell(text) {
    if (text === undefined || text === null)
        return '';
    return String(text)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/\|/g, '\\|')
        .replace(/\r?\n/g, '<br>');
}
/** A Markdown table. Cells are escaped; use `code()` for monospace cells. */
function table(headers, rows) {
    const head = `| ${headers.map(cell).join(' | ')} |`;
    const sep = `| ${headers.map(() => '---').join(' | ')} |`;
    const body = rows.map(r => `| ${r.map(c => (typeof c === 'string' && c.startsWith('`') ? c : cell(c))).join(' | ')} |`);
    return [head, sep, ...body].join('\n') + '\n';
}
/** Inline code that survives a table cell. */
function code(text) {
    return '`' + text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') + '`';
}
function heading(text, level = 2) {
    return `${'#'.repeat(level)} ${text}\n`;
}
/** A collapsible block of preformatted text (logs, response bodies). */
function details(summaryText, body) {
    return `<details><summary>${cell(summaryText)}</summary>\n\n\`\`\`text\n${body.replace(/```/g, "'''")}\n\`\`\`\n\n</details>\n`;
}
/** `1.2 s`, `350 ms`, `2 m 5 s`. */
function formatDuration(ms) {
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    if (ms < 60_000)
        return `${(ms / 1000).toFixed(1)} s`;
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return `${m} m ${s} s`;
}
/** `512 B`, `3.4 MB` (decimal units, as registries and docker report). */
function formatBytes(n) {
    if (n < 1000)
        return `${n} B`;
    const units = ['kB', 'MB', 'GB', 'TB'];
    let v = n;
    let u = -1;
    while (v >= 1000 && u < units.length - 1) {
        v /= 1000;
        u++;
    }
    return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

;// CONCATENATED MODULE: ./src/common/inputs.ts
/** Reads raw input strings from the runner; parsing lives in src/lib/inputs.ts. */


/**
 * Where inputs come from: the runner (INPUT_*), or — while the pipeline runs a stage in its
 * own process — the values it derived from the config file.
 */
let source;
/** Runs `fn` (which reads inputs synchronously, like a stage's getInputs) with `values` as its inputs. */
function withInputs(values, fn) {
    const saved = source;
    source = name => values[name] ?? '';
    try {
        return fn();
    }
    finally {
        source = saved;
    }
}
function read(name, trim) {
    if (source)
        return trim ? source(name).trim() : source(name);
    return lib_core/* getInput */.V4(name, { trimWhitespace: trim });
}
/** The raw value of an input, trimmed; '' when not set. */
function raw(name) {
    return read(name, true);
}
/** A required input: missing is an InputError that says what was expected. */
function required(name, expected) {
    const v = raw(name);
    if (v === '')
        throw new errors_InputError(name, `is required: expected ${expected}`);
    return v;
}
/** The raw value, masked in every later log line (tokens, passwords, header values). */
function secret(name) {
    const v = read(name, false);
    if (v)
        core.setSecret(v);
    return v;
}

;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/CsvError.js
class CsvError extends Error {
  constructor(code, message, options, ...contexts) {
    if (Array.isArray(message)) message = message.join(" ").trim();
    super(message);
    if (Error.captureStackTrace !== undefined) {
      Error.captureStackTrace(this, CsvError);
    }
    this.code = code;
    for (const context of contexts) {
      for (const key in context) {
        const value = context[key];
        this[key] = Buffer.isBuffer(value)
          ? value.toString(options.encoding)
          : value == null
            ? value
            : JSON.parse(JSON.stringify(value));
      }
    }
  }
}



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/is_object.js
const is_object = function (obj) {
  return typeof obj === "object" && obj !== null && !Array.isArray(obj);
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/normalize_columns_array.js



const normalize_columns_array = function (columns) {
  const normalizedColumns = [];
  for (let i = 0, l = columns.length; i < l; i++) {
    const column = columns[i];
    if (column === undefined || column === null || column === false) {
      normalizedColumns[i] = { disabled: true };
    } else if (typeof column === "string" || typeof column === "number") {
      normalizedColumns[i] = { name: `${column}` };
    } else if (is_object(column)) {
      if (typeof column.name !== "string") {
        throw new CsvError("CSV_OPTION_COLUMNS_MISSING_NAME", [
          "Option columns missing name:",
          `property "name" is required at position ${i}`,
          "when column is an object literal",
        ]);
      }
      normalizedColumns[i] = column;
    } else {
      throw new CsvError("CSV_INVALID_COLUMN_DEFINITION", [
        "Invalid column definition:",
        "expect a string or a literal object,",
        `got ${JSON.stringify(column)} at position ${i}`,
      ]);
    }
  }
  return normalizedColumns;
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/ResizeableBuffer.js
class ResizeableBuffer {
  constructor(size = 100) {
    this.size = size;
    this.length = 0;
    this.buf = Buffer.allocUnsafe(size);
  }
  prepend(val) {
    if (Buffer.isBuffer(val)) {
      const length = this.length + val.length;
      if (length >= this.size) {
        this.resize();
        if (length >= this.size) {
          throw Error("INVALID_BUFFER_STATE");
        }
      }
      const buf = this.buf;
      this.buf = Buffer.allocUnsafe(this.size);
      val.copy(this.buf, 0);
      buf.copy(this.buf, val.length);
      this.length += val.length;
    } else {
      const length = this.length++;
      if (length === this.size) {
        this.resize();
      }
      const buf = this.clone();
      this.buf[0] = val;
      buf.copy(this.buf, 1, 0, length);
    }
  }
  append(val) {
    const length = this.length++;
    if (length === this.size) {
      this.resize();
    }
    this.buf[length] = val;
  }
  clone() {
    return Buffer.from(this.buf.slice(0, this.length));
  }
  resize() {
    const length = this.length;
    this.size = this.size * 2;
    const buf = Buffer.allocUnsafe(this.size);
    this.buf.copy(buf, 0, 0, length);
    this.buf = buf;
  }
  toString(encoding) {
    if (encoding) {
      return this.buf.toString(encoding, 0, this.length);
    } else {
      return Uint8Array.prototype.slice.call(this.buf.slice(0, this.length));
    }
  }
  toJSON() {
    return this.toString("utf8");
  }
  reset() {
    this.length = 0;
  }
}

/* harmony default export */ const utils_ResizeableBuffer = (ResizeableBuffer);

;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/init_state.js


const init_state = function (options) {
  // ECMAScript WhiteSpace + LineTerminator codepoints, encoded under
  // `options.encoding`. Aligns trimming with `String.prototype.trim()`.
  // https://tc39.es/ecma262/#sec-white-space
  // https://tc39.es/ecma262/#sec-line-terminators
  //
  // Codepoints unrepresentable in the target encoding are dropped: Node's
  // Buffer substitutes them with `?` (0x3F), and including those would cause
  // literal `?` bytes in the input to be trimmed under `latin1`/`ascii`.
  const timchars = [
    // Basic Latin
    0x0020, // [Space](https://www.fileformat.info/info/unicode/char/0020/index.htm)
    0x0009, // [CHARACTER TABULATION (HT)](https://www.fileformat.info/info/unicode/char/0009/index.htm)
    0x000a, // [LINE FEED (LF)](https://www.fileformat.info/info/unicode/char/000a/index.htm)
    0x000d, // [CARRIAGE RETURN (CR)](https://www.fileformat.info/info/unicode/char/000d/index.htm)
    0x000c, // [FORM FEED (FF)](https://www.fileformat.info/info/unicode/char/000c/index.htm)
    0x000b, // [LINE TABULATION (VT)](https://www.fileformat.info/info/unicode/char/000b/index.htm)
    // Latin-1 Supplement
    0x00a0, // [NO-BREAK SPACE (NBSP)](https://www.fileformat.info/info/unicode/char/00a0/index.htm)
    // Ogham
    0x1680, // [OGHAM SPACE MARK](https://www.fileformat.info/info/unicode/char/1680/index.htm)
    // General Punctuation
    0x2000, // [EN QUAD](https://www.fileformat.info/info/unicode/char/2000/index.htm)
    0x2001, // [EM QUAD](https://www.fileformat.info/info/unicode/char/2001/index.htm)
    0x2002, // [EN SPACE](https://www.fileformat.info/info/unicode/char/2002/index.htm)
    0x2003, // [EM SPACE](https://www.fileformat.info/info/unicode/char/2003/index.htm)
    0x2004, // [THREE-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2004/index.htm)
    0x2005, // [FOUR-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2005/index.htm)
    0x2006, // [SIX-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2006/index.htm)
    0x2007, // [FIGURE SPACE](https://www.fileformat.info/info/unicode/char/2007/index.htm)
    0x2008, // [PUNCTUATION SPACE](https://www.fileformat.info/info/unicode/char/2008/index.htm)
    0x2009, // [THIN SPACE](https://www.fileformat.info/info/unicode/char/2009/index.htm)
    0x200a, // [HAIR SPACE](https://www.fileformat.info/info/unicode/char/200a/index.htm)
    0x2028, // [LINE SEPARATOR](https://www.fileformat.info/info/unicode/char/2028/index.htm)
    0x2029, // [PARAGRAPH SEPARATOR](https://www.fileformat.info/info/unicode/char/2029/index.htm)
    0x202f, // [NARROW NO-BREAK SPACE (NNBSP)](https://www.fileformat.info/info/unicode/char/202f/index.htm)
    0x205f, // [MEDIUM MATHEMATICAL SPACE (MMSP)](https://www.fileformat.info/info/unicode/char/205f/index.htm)
    0x3000, // [IDEOGRAPHIC SPACE](https://www.fileformat.info/info/unicode/char/3000/index.htm)
    0xfeff, // [ZERO WIDTH NO-BREAK SPACE (BOM)](https://www.fileformat.info/info/unicode/char/feff/index.htm)
  ].reduce((acc, codepoint) => {
    const encoded = Buffer.from(
      String.fromCharCode(codepoint),
      options.encoding,
    );
    if (codepoint !== 0x3f && encoded.length === 1 && encoded[0] === 0x3f) {
      return acc;
    }
    acc.push(encoded);
    return acc;
  }, []);
  // First-byte lookup table for `__isCharTrimable`. Non-whitespace bytes
  // (the common case) bail out in O(1) without scanning every timchar.
  const timcharFirstBytes = new Uint8Array(256);
  for (const t of timchars) timcharFirstBytes[t[0]] = 1;
  return {
    bomSkipped: false,
    bufBytesStart: 0,
    castField: options.cast_function,
    commenting: false,
    delimiterBufPrevious: undefined,
    delimiterDiscovered: false,
    // Current error encountered by a record
    error: undefined,
    enabled: options.from_line === 1,
    escaping: false,
    escapeIsQuote:
      Buffer.isBuffer(options.escape) &&
      Buffer.isBuffer(options.quote) &&
      Buffer.compare(options.escape, options.quote) === 0,
    // columns can be `false`, `true`, `Array`
    expectedRecordLength: Array.isArray(options.columns)
      ? options.columns.length
      : undefined,
    field: new utils_ResizeableBuffer(20),
    firstLineToHeaders: options.cast_first_line_to_header,
    needMoreDataSize: Math.max(
      // Skip if the remaining buffer smaller than comment
      options.comment !== null ? options.comment.length : 0,
      // Skip if the remaining buffer can be delimiter
      ...(options.delimiter
        ? options.delimiter.map((delimiter) => delimiter.length)
        : []),
      // Auto discovery of delimiter is limited to 1 character
      options.delimiter_auto ? 1 : 0,
      // Skip if the remaining buffer can be escape sequence
      options.quote !== null ? options.quote.length : 0,
      // Skip if the remaining buffer can be a multi-byte trim character
      ...timchars.map((t) => t.length),
    ),
    previousBuf: undefined,
    quoting: false,
    stop: false,
    rawBuffer: new utils_ResizeableBuffer(100),
    record: [],
    recordHasError: false,
    record_length: 0,
    recordDelimiterMaxLength:
      options.record_delimiter.length === 0
        ? 0
        : Math.max(...options.record_delimiter.map((v) => v.length)),
    trimChars: [
      Buffer.from(" ", options.encoding)[0],
      Buffer.from("\t", options.encoding)[0],
    ],
    wasQuoting: false,
    wasRowDelimiter: false,
    timchars: timchars,
    timcharFirstBytes: timcharFirstBytes,
  };
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/underscore.js
const underscore = function (str) {
  return str.replace(/([A-Z])/g, function (_, match) {
    return "_" + match.toLowerCase();
  });
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/normalize_options.js





const normalize_options = function (opts) {
  const options = {};
  // Merge with user options
  for (const opt in opts) {
    options[underscore(opt)] = opts[opt];
  }
  // Normalize option `encoding`
  // Note: defined first because other options depends on it
  // to convert chars/strings into buffers.
  if (options.encoding === undefined || options.encoding === true) {
    options.encoding = "utf8";
  } else if (options.encoding === null || options.encoding === false) {
    options.encoding = null;
  } else if (
    typeof options.encoding !== "string" &&
    options.encoding !== null
  ) {
    throw new CsvError(
      "CSV_INVALID_OPTION_ENCODING",
      [
        "Invalid option encoding:",
        "encoding must be a string or null to return a buffer,",
        `got ${JSON.stringify(options.encoding)}`,
      ],
      options,
    );
  }
  // Normalize option `bom`
  if (
    options.bom === undefined ||
    options.bom === null ||
    options.bom === false
  ) {
    options.bom = false;
  } else if (options.bom !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_BOM",
      [
        "Invalid option bom:",
        "bom must be true,",
        `got ${JSON.stringify(options.bom)}`,
      ],
      options,
    );
  }
  // Normalize option `cast`
  options.cast_function = null;
  if (
    options.cast === undefined ||
    options.cast === null ||
    options.cast === false ||
    options.cast === ""
  ) {
    options.cast = undefined;
  } else if (typeof options.cast === "function") {
    options.cast_function = options.cast;
    options.cast = true;
  } else if (options.cast !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST",
      [
        "Invalid option cast:",
        "cast must be true or a function,",
        `got ${JSON.stringify(options.cast)}`,
      ],
      options,
    );
  }
  // Normalize option `cast_date`
  if (
    options.cast_date === undefined ||
    options.cast_date === null ||
    options.cast_date === false ||
    options.cast_date === ""
  ) {
    options.cast_date = false;
  } else if (options.cast_date === true) {
    options.cast_date = function (value) {
      const date = Date.parse(value);
      return !isNaN(date) ? new Date(date) : value;
    };
  } else if (typeof options.cast_date !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST_DATE",
      [
        "Invalid option cast_date:",
        "cast_date must be true or a function,",
        `got ${JSON.stringify(options.cast_date)}`,
      ],
      options,
    );
  }
  // Normalize option `columns`
  options.cast_first_line_to_header = undefined;
  if (options.columns === true) {
    // Fields in the first line are converted as-is to columns
    options.cast_first_line_to_header = undefined;
  } else if (typeof options.columns === "function") {
    options.cast_first_line_to_header = options.columns;
    options.columns = true;
  } else if (Array.isArray(options.columns)) {
    options.columns = normalize_columns_array(options.columns);
  } else if (
    options.columns === undefined ||
    options.columns === null ||
    options.columns === false
  ) {
    options.columns = false;
  } else {
    throw new CsvError(
      "CSV_INVALID_OPTION_COLUMNS",
      [
        "Invalid option columns:",
        "expect an array, a function or true,",
        `got ${JSON.stringify(options.columns)}`,
      ],
      options,
    );
  }
  // Normalize option `group_columns_by_name`
  if (
    options.group_columns_by_name === undefined ||
    options.group_columns_by_name === null ||
    options.group_columns_by_name === false
  ) {
    options.group_columns_by_name = false;
  } else if (options.group_columns_by_name !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "expect an boolean,",
        `got ${JSON.stringify(options.group_columns_by_name)}`,
      ],
      options,
    );
  } else if (options.columns === false) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "the `columns` mode must be activated.",
      ],
      options,
    );
  }
  // Normalize option `comment`
  if (
    options.comment === undefined ||
    options.comment === null ||
    options.comment === false ||
    options.comment === ""
  ) {
    options.comment = null;
  } else {
    if (typeof options.comment === "string") {
      options.comment = Buffer.from(options.comment, options.encoding);
    }
    if (!Buffer.isBuffer(options.comment)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_COMMENT",
        [
          "Invalid option comment:",
          "comment must be a buffer or a string,",
          `got ${JSON.stringify(options.comment)}`,
        ],
        options,
      );
    }
  }
  // Normalize option `comment_no_infix`
  if (
    options.comment_no_infix === undefined ||
    options.comment_no_infix === null ||
    options.comment_no_infix === false
  ) {
    options.comment_no_infix = false;
  } else if (options.comment_no_infix !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_COMMENT",
      [
        "Invalid option comment_no_infix:",
        "value must be a boolean,",
        `got ${JSON.stringify(options.comment_no_infix)}`,
      ],
      options,
    );
  }
  // Normalize option `delimiter_auto`
  if (
    options.delimiter_auto === undefined ||
    options.delimiter_auto === null ||
    options.delimiter_auto === false
  ) {
    options.delimiter_auto = false;
  } else if (options.delimiter_auto === true) {
    options.delimiter_auto = {};
  } else if (!is_object(options.delimiter_auto)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_DELIMITER_AUTO",
      [
        "Invalid option delimiter_auto:",
        "delimiter_auto must be a boolean or a configuration object,",
        `got ${JSON.stringify(options.delimiter_auto)}`,
      ],
      options,
    );
  }
  if (options.delimiter_auto) {
    if (options.delimiter_auto.preferred === undefined)
      options.delimiter_auto.preferred = {
        [",".charCodeAt(0)]: 1.8,
        ["\t".charCodeAt(0)]: 1.8,
        [";".charCodeAt(0)]: 1.6,
        [" ".charCodeAt(0)]: 1.6,
        [":".charCodeAt(0)]: 1.5,
        [".".charCodeAt(0)]: 1.4,
        ["/".charCodeAt(0)]: 1.4,
      };
    else if (!is_object(options.delimiter_auto.preferred)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "preferred must be an object,",
          `got ${JSON.stringify(options.delimiter_auto.preferred)}`,
        ],
        options,
      );
    }
    if (options.delimiter_auto.score === undefined)
      options.delimiter_auto.score = (info, options) => {
        return (
          (info.total - info.std) * (options.preferred[info.char_code] || 1)
        );
      };
    else if (typeof options.delimiter_auto.score !== "function") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "score must be a function,",
          `got ${JSON.stringify(options.delimiter_auto.score)}`,
        ],
        options,
      );
    }
    if (options.delimiter_auto.size === undefined)
      options.delimiter_auto.size = 2048;
    else if (typeof options.delimiter_auto.size !== "number") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "size must be a number,",
          `got ${JSON.stringify(options.delimiter_auto.size)}`,
        ],
        options,
      );
    }
  }
  // Normalize option `delimiter`
  const delimiter_json = JSON.stringify(options.delimiter);
  if (options.delimiter_auto !== false) {
    options.delimiter = [];
  }
  if (!Array.isArray(options.delimiter)) {
    if (
      options.delimiter === undefined ||
      options.delimiter === null ||
      options.delimiter === false
    ) {
      options.delimiter = Buffer.from(",", options.encoding);
    }
    options.delimiter = [options.delimiter];
  }
  options.delimiter = options.delimiter.map(function (delimiter) {
    if (typeof delimiter === "string") {
      delimiter = Buffer.from(delimiter, options.encoding);
    }
    if (!Buffer.isBuffer(delimiter) || delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER",
        [
          "Invalid option delimiter:",
          "delimiter must be a non empty string or buffer or array of string|buffer,",
          `got ${delimiter_json}`,
        ],
        options,
      );
    }
    return delimiter;
  });
  // Normalize option `escape`
  if (options.escape === undefined || options.escape === true) {
    options.escape = Buffer.from('"', options.encoding);
  } else if (typeof options.escape === "string") {
    options.escape = Buffer.from(options.escape, options.encoding);
  } else if (options.escape === null || options.escape === false) {
    options.escape = null;
  }
  if (options.escape !== null) {
    if (!Buffer.isBuffer(options.escape)) {
      throw new Error(
        `Invalid Option: escape must be a buffer, a string or a boolean, got ${JSON.stringify(options.escape)}`,
      );
    }
  }
  // Normalize option `from`
  if (options.from === undefined || options.from === null) {
    options.from = 1;
  } else {
    if (typeof options.from === "string" && /\d+/.test(options.from)) {
      options.from = parseInt(options.from);
    }
    if (Number.isInteger(options.from)) {
      if (options.from < 0) {
        throw new Error(
          `Invalid Option: from must be a positive integer, got ${JSON.stringify(opts.from)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from must be an integer, got ${JSON.stringify(options.from)}`,
      );
    }
  }
  // Normalize option `from_line`
  if (options.from_line === undefined || options.from_line === null) {
    options.from_line = 1;
  } else {
    if (
      typeof options.from_line === "string" &&
      /\d+/.test(options.from_line)
    ) {
      options.from_line = parseInt(options.from_line);
    }
    if (Number.isInteger(options.from_line)) {
      if (options.from_line <= 0) {
        throw new Error(
          `Invalid Option: from_line must be a positive integer greater than 0, got ${JSON.stringify(opts.from_line)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from_line must be an integer, got ${JSON.stringify(opts.from_line)}`,
      );
    }
  }
  // Normalize options `ignore_last_delimiters`
  if (
    options.ignore_last_delimiters === undefined ||
    options.ignore_last_delimiters === null
  ) {
    options.ignore_last_delimiters = false;
  } else if (typeof options.ignore_last_delimiters === "number") {
    options.ignore_last_delimiters = Math.floor(options.ignore_last_delimiters);
    if (options.ignore_last_delimiters === 0) {
      options.ignore_last_delimiters = false;
    }
  } else if (typeof options.ignore_last_delimiters !== "boolean") {
    throw new CsvError(
      "CSV_INVALID_OPTION_IGNORE_LAST_DELIMITERS",
      [
        "Invalid option `ignore_last_delimiters`:",
        "the value must be a boolean value or an integer,",
        `got ${JSON.stringify(options.ignore_last_delimiters)}`,
      ],
      options,
    );
  }
  if (options.ignore_last_delimiters === true && options.columns === false) {
    throw new CsvError(
      "CSV_IGNORE_LAST_DELIMITERS_REQUIRES_COLUMNS",
      [
        "The option `ignore_last_delimiters`",
        "requires the activation of the `columns` option",
      ],
      options,
    );
  }
  // Normalize option `info`
  if (
    options.info === undefined ||
    options.info === null ||
    options.info === false
  ) {
    options.info = false;
  } else if (options.info !== true) {
    throw new Error(
      `Invalid Option: info must be true, got ${JSON.stringify(options.info)}`,
    );
  }
  // Normalize option `max_record_size`
  if (
    options.max_record_size === undefined ||
    options.max_record_size === null ||
    options.max_record_size === false
  ) {
    options.max_record_size = 0;
  } else if (
    Number.isInteger(options.max_record_size) &&
    options.max_record_size >= 0
  ) {
    // Great, nothing to do
  } else if (
    typeof options.max_record_size === "string" &&
    /\d+/.test(options.max_record_size)
  ) {
    options.max_record_size = parseInt(options.max_record_size);
  } else {
    throw new Error(
      `Invalid Option: max_record_size must be a positive integer, got ${JSON.stringify(options.max_record_size)}`,
    );
  }
  // Normalize option `objname`
  if (
    options.objname === undefined ||
    options.objname === null ||
    options.objname === false
  ) {
    options.objname = undefined;
  } else if (Buffer.isBuffer(options.objname)) {
    if (options.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty buffer`);
    }
    if (options.encoding === null) {
      // Don't call `toString`, leave objname as a buffer
    } else {
      options.objname = options.objname.toString(options.encoding);
    }
  } else if (typeof options.objname === "string") {
    if (options.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty string`);
    }
    // Great, nothing to do
  } else if (typeof options.objname === "number") {
    // if(options.objname.length === 0){
    //   throw new Error(`Invalid Option: objname must be a non empty string`);
    // }
    // Great, nothing to do
  } else {
    throw new Error(
      `Invalid Option: objname must be a string or a buffer, got ${options.objname}`,
    );
  }
  if (options.objname !== undefined) {
    if (typeof options.objname === "number") {
      if (options.columns !== false) {
        throw Error(
          "Invalid Option: objname index cannot be combined with columns or be defined as a field",
        );
      }
    } else {
      // A string or a buffer
      if (options.columns === false) {
        throw Error(
          "Invalid Option: objname field must be combined with columns or be defined as an index",
        );
      }
    }
  }
  // Normalize option `on_record`
  if (options.on_record === undefined || options.on_record === null) {
    options.on_record = undefined;
  } else if (typeof options.on_record !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_ON_RECORD",
      [
        "Invalid option `on_record`:",
        "expect a function,",
        `got ${JSON.stringify(options.on_record)}`,
      ],
      options,
    );
  }
  // Normalize option `on_skip`
  // options.on_skip ??= (err, chunk) => {
  //   this.emit('skip', err, chunk);
  // };
  if (
    options.on_skip !== undefined &&
    options.on_skip !== null &&
    typeof options.on_skip !== "function"
  ) {
    throw new Error(
      `Invalid Option: on_skip must be a function, got ${JSON.stringify(options.on_skip)}`,
    );
  }
  // Normalize option `quote`
  if (
    options.quote === null ||
    options.quote === false ||
    options.quote === ""
  ) {
    options.quote = null;
  } else {
    if (options.quote === undefined || options.quote === true) {
      options.quote = Buffer.from('"', options.encoding);
    } else if (typeof options.quote === "string") {
      options.quote = Buffer.from(options.quote, options.encoding);
    }
    if (!Buffer.isBuffer(options.quote)) {
      throw new Error(
        `Invalid Option: quote must be a buffer or a string, got ${JSON.stringify(options.quote)}`,
      );
    }
  }
  // Normalize option `raw`
  if (
    options.raw === undefined ||
    options.raw === null ||
    options.raw === false
  ) {
    options.raw = false;
  } else if (options.raw !== true) {
    throw new Error(
      `Invalid Option: raw must be true, got ${JSON.stringify(options.raw)}`,
    );
  }
  // Normalize option `record_delimiter`
  if (options.record_delimiter === undefined) {
    options.record_delimiter = [];
  } else if (
    typeof options.record_delimiter === "string" ||
    Buffer.isBuffer(options.record_delimiter)
  ) {
    if (options.record_delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer,",
          `got ${JSON.stringify(options.record_delimiter)}`,
        ],
        options,
      );
    }
    options.record_delimiter = [options.record_delimiter];
  } else if (!Array.isArray(options.record_delimiter)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_RECORD_DELIMITER",
      [
        "Invalid option `record_delimiter`:",
        "value must be a string, a buffer or array of string|buffer,",
        `got ${JSON.stringify(options.record_delimiter)}`,
      ],
      options,
    );
  }
  options.record_delimiter = options.record_delimiter.map(function (rd, i) {
    if (typeof rd !== "string" && !Buffer.isBuffer(rd)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a string, a buffer or array of string|buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`,
        ],
        options,
      );
    } else if (rd.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`,
        ],
        options,
      );
    }
    if (typeof rd === "string") {
      rd = Buffer.from(rd, options.encoding);
    }
    return rd;
  });
  // Normalize option `relax_column_count`
  if (typeof options.relax_column_count === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count === undefined ||
    options.relax_column_count === null
  ) {
    options.relax_column_count = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count must be a boolean, got ${JSON.stringify(options.relax_column_count)}`,
    );
  }
  if (typeof options.relax_column_count_less === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count_less === undefined ||
    options.relax_column_count_less === null
  ) {
    options.relax_column_count_less = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_less must be a boolean, got ${JSON.stringify(options.relax_column_count_less)}`,
    );
  }
  if (typeof options.relax_column_count_more === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count_more === undefined ||
    options.relax_column_count_more === null
  ) {
    options.relax_column_count_more = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_more must be a boolean, got ${JSON.stringify(options.relax_column_count_more)}`,
    );
  }
  // Normalize option `relax_quotes`
  if (typeof options.relax_quotes === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_quotes === undefined ||
    options.relax_quotes === null
  ) {
    options.relax_quotes = false;
  } else {
    throw new Error(
      `Invalid Option: relax_quotes must be a boolean, got ${JSON.stringify(options.relax_quotes)}`,
    );
  }
  // Normalize option `skip_empty_lines`
  if (typeof options.skip_empty_lines === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_empty_lines === undefined ||
    options.skip_empty_lines === null
  ) {
    options.skip_empty_lines = false;
  } else {
    throw new Error(
      `Invalid Option: skip_empty_lines must be a boolean, got ${JSON.stringify(options.skip_empty_lines)}`,
    );
  }
  // Normalize option `skip_records_with_empty_values`
  if (typeof options.skip_records_with_empty_values === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_records_with_empty_values === undefined ||
    options.skip_records_with_empty_values === null
  ) {
    options.skip_records_with_empty_values = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_empty_values must be a boolean, got ${JSON.stringify(options.skip_records_with_empty_values)}`,
    );
  }
  // Normalize option `skip_records_with_error`
  if (typeof options.skip_records_with_error === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_records_with_error === undefined ||
    options.skip_records_with_error === null
  ) {
    options.skip_records_with_error = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_error must be a boolean, got ${JSON.stringify(options.skip_records_with_error)}`,
    );
  }
  // Normalize option `rtrim`
  if (
    options.rtrim === undefined ||
    options.rtrim === null ||
    options.rtrim === false
  ) {
    options.rtrim = false;
  } else if (options.rtrim !== true) {
    throw new Error(
      `Invalid Option: rtrim must be a boolean, got ${JSON.stringify(options.rtrim)}`,
    );
  }
  // Normalize option `ltrim`
  if (
    options.ltrim === undefined ||
    options.ltrim === null ||
    options.ltrim === false
  ) {
    options.ltrim = false;
  } else if (options.ltrim !== true) {
    throw new Error(
      `Invalid Option: ltrim must be a boolean, got ${JSON.stringify(options.ltrim)}`,
    );
  }
  // Normalize option `trim`
  if (
    options.trim === undefined ||
    options.trim === null ||
    options.trim === false
  ) {
    options.trim = false;
  } else if (options.trim !== true) {
    throw new Error(
      `Invalid Option: trim must be a boolean, got ${JSON.stringify(options.trim)}`,
    );
  }
  // Normalize options `trim`, `ltrim` and `rtrim`
  if (options.trim === true && opts.ltrim !== false) {
    options.ltrim = true;
  } else if (options.ltrim !== true) {
    options.ltrim = false;
  }
  if (options.trim === true && opts.rtrim !== false) {
    options.rtrim = true;
  } else if (options.rtrim !== true) {
    options.rtrim = false;
  }
  // Normalize option `to`
  if (options.to === undefined || options.to === null) {
    options.to = -1;
  } else if (options.to !== -1) {
    if (typeof options.to === "string" && /\d+/.test(options.to)) {
      options.to = parseInt(options.to);
    }
    if (Number.isInteger(options.to)) {
      if (options.to <= 0) {
        throw new Error(
          `Invalid Option: to must be a positive integer greater than 0, got ${JSON.stringify(opts.to)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to must be an integer, got ${JSON.stringify(opts.to)}`,
      );
    }
  }
  // Normalize option `to_line`
  if (options.to_line === undefined || options.to_line === null) {
    options.to_line = -1;
  } else if (options.to_line !== -1) {
    if (typeof options.to_line === "string" && /\d+/.test(options.to_line)) {
      options.to_line = parseInt(options.to_line);
    }
    if (Number.isInteger(options.to_line)) {
      if (options.to_line <= 0) {
        throw new Error(
          `Invalid Option: to_line must be a positive integer greater than 0, got ${JSON.stringify(opts.to_line)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to_line must be an integer, got ${JSON.stringify(opts.to_line)}`,
      );
    }
  }
  return options;
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/delimiter_discover.js



// Discussed in [issue #400](https://github.com/adaltas/node-csv/issues/400)
// See https://github.com/python/cpython/blob/ea1b1c579f600cc85d145c60862b2e6b98701b24/Lib/csv.py#L349
const delimiter_discover = function (records, options) {
  // Normalize the configuration
  if (!options) {
    ({ delimiter_auto: options } = normalize_options({ delimiter_auto: true }));
  }
  // Convert String to Buffer
  if (typeof records === "string") {
    records = Buffer.from(records);
  }
  // Convert Buffer to an array of records
  if (Buffer.isBuffer(records)) {
    records = ((data) => {
      const records = [];
      const parser = transform({ delimiter: [] });
      const push = (record) => records.push(record);
      const close = () => {};
      const error = parser.parse(data, true, push, close);
      if (error !== undefined) throw error;
      return records;
    })(records);
  }
  // Info array initialization, 127 entries, one per char code
  const info = Array(127)
    .fill()
    .map(() => ({ lines: [] }));
  // Traverse each records, count occurences per char code
  records.map(([record], line) => {
    for (let i = 0, l = record.length; i < l; i++) {
      // Count the character frequency
      const code = record.charCodeAt(i);
      if (info[code].lines[line] === undefined) info[code].lines[line] = 0;
      info[code].lines[line]++;
    }
  });
  // Traverse each char code, compute the score
  info.map((info, i) => {
    info.char_code = i;
    info.std = std(info.lines);
    info.total = info.lines.reduce((acc, val) => acc + val, 0);
    info.preferred = !!options.preferred[i];
    info.score = options.score(info, options);
  });
  // Extract the dominant character
  const result = info.reduce(
    (acc, info) => (acc.score > info.score ? acc : info),
    {},
  );
  return String.fromCharCode(result.char_code);
};

const std = function (array) {
  const n = array.length;
  if (n === 0) return 0;
  const mean = array.reduce((a, b) => a + b) / n;
  return Math.sqrt(
    array.map((x) => Math.pow(x - mean, 2)).reduce((a, b) => a + b) / n,
  );
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/index.js






const isRecordEmpty = function (record) {
  return record.every(
    (field) =>
      field == null || (field.toString && field.toString().trim() === ""),
  );
};

const cr = 13; // `\r`, carriage return, 0x0D in hexadécimal, 13 in decimal
const nl = 10; // `\n`, newline, 0x0A in hexadecimal, 10 in decimal

const boms = {
  // Note, the following are equals:
  // Buffer.from("\ufeff")
  // Buffer.from([239, 187, 191])
  // Buffer.from('EFBBBF', 'hex')
  utf8: Buffer.from([239, 187, 191]),
  // Note, the following are equals:
  // Buffer.from "\ufeff", 'utf16le
  // Buffer.from([255, 254])
  utf16le: Buffer.from([255, 254]),
};

const transform = function (original_options = {}) {
  const info = {
    bytes: 0,
    bytes_records: 0,
    comment_lines: 0,
    empty_lines: 0,
    invalid_field_length: 0,
    lines: 1,
    records: 0,
  };
  const options = normalize_options(original_options);
  return {
    info: info,
    original_options: original_options,
    options: options,
    state: init_state(options),
    __needMoreData: function (i, bufLen, end) {
      if (end) return false;
      const { encoding, escape, quote } = this.options;
      const { quoting, needMoreDataSize, recordDelimiterMaxLength } =
        this.state;
      const numOfCharLeft = bufLen - i - 1;
      const requiredLength = Math.max(
        needMoreDataSize,
        // Skip if the remaining buffer smaller than record delimiter
        // If "record_delimiter" is yet to be discovered:
        // 1. It is equals to `[]` and "recordDelimiterMaxLength" equals `0`
        // 2. We set the length to windows line ending in the current encoding
        // Note, that encoding is known from user or bom discovery at that point
        // recordDelimiterMaxLength,
        recordDelimiterMaxLength === 0
          ? Buffer.from("\r\n", encoding).length
          : recordDelimiterMaxLength,
        // Skip if remaining buffer can be an escaped quote
        quoting ? (escape === null ? 0 : escape.length) + quote.length : 0,
        // Skip if remaining buffer can be record delimiter following the closing quote
        quoting ? quote.length + recordDelimiterMaxLength : 0,
      );
      return numOfCharLeft < requiredLength;
    },
    // Central parser implementation
    parse: function (nextBuf, end, push, close) {
      const {
        bom,
        comment_no_infix,
        delimiter_auto,
        encoding,
        from_line,
        ltrim,
        max_record_size,
        raw,
        relax_quotes,
        rtrim,
        skip_empty_lines,
        to,
        to_line,
      } = this.options;
      let { comment, escape, quote, record_delimiter } = this.options;
      const {
        bomSkipped,
        delimiterDiscovered,
        delimiterBufPrevious,
        rawBuffer,
        escapeIsQuote,
      } = this.state;
      // Automatic delimiter discovery
      if (!delimiterDiscovered && delimiter_auto) {
        let delimiterBuf;
        if (delimiterBufPrevious === undefined) {
          delimiterBuf = nextBuf;
        } else if (
          delimiterBufPrevious !== undefined &&
          nextBuf === undefined
        ) {
          delimiterBuf = delimiterBufPrevious;
        } else {
          delimiterBuf = Buffer.concat([delimiterBufPrevious, nextBuf]);
        }
        // Ensure that nextBuf is not concatenated a second time during buffer reconciliation
        nextBuf = undefined;
        // this.delimiterBufPrevious = delimiterBuf;
        if (end || delimiterBuf.length > delimiter_auto.size) {
          this.options.delimiter = [
            Buffer.from(
              delimiter_discover(delimiterBuf, this.options.delimiter_auto),
            ),
          ];
          this.state.previousBuf = delimiterBuf;
          this.state.delimiterBufPrevious = undefined;
          this.state.delimiterDiscovered = true;
        } else {
          this.state.delimiterBufPrevious = delimiterBuf;
          return;
        }
      }
      // Previous buffers reconciliation
      const { previousBuf } = this.state;
      let buf;
      if (previousBuf === undefined) {
        if (nextBuf === undefined) {
          // Handle empty string
          close();
          return;
        } else {
          buf = nextBuf;
        }
      } else if (previousBuf !== undefined && nextBuf === undefined) {
        buf = previousBuf;
      } else {
        buf = Buffer.concat([previousBuf, nextBuf]);
      }
      // Handle UTF BOM
      if (bomSkipped === false) {
        if (bom === false) {
          this.state.bomSkipped = true;
        } else if (buf.length < 3) {
          // No enough data
          if (end === false) {
            // Wait for more data
            this.state.previousBuf = buf;
            return;
          }
        } else {
          for (const encoding in boms) {
            if (boms[encoding].compare(buf, 0, boms[encoding].length) === 0) {
              // Skip BOM
              const bomLength = boms[encoding].length;
              this.state.bufBytesStart += bomLength;
              buf = buf.slice(bomLength);
              // Renormalize original options with the new encoding
              const options = normalize_options({
                ...this.original_options,
                encoding: encoding,
              });
              // Properties are merged with the existing options instance
              for (const key in options) {
                this.options[key] = options[key];
              }
              // Options will re-evaluate the Buffer with the new encoding
              ({ comment, escape, quote } = this.options);
              break;
            }
          }
          this.state.bomSkipped = true;
        }
      }
      const bufLen = buf.length;
      let pos;
      for (pos = 0; pos < bufLen; pos++) {
        // Ensure we get enough space to look ahead
        // There should be a way to move this out of the loop
        if (this.__needMoreData(pos, bufLen, end)) {
          break;
        }
        if (this.state.wasRowDelimiter === true) {
          this.info.lines++;
          this.state.wasRowDelimiter = false;
        }
        if (to_line !== -1 && this.info.lines > to_line) {
          this.state.stop = true;
          close();
          return;
        }
        // Auto discovery of record_delimiter, unix, mac and windows supported
        if (this.state.quoting === false && record_delimiter.length === 0) {
          const record_delimiterCount = this.__autoDiscoverRecordDelimiter(
            buf,
            pos,
          );
          if (record_delimiterCount) {
            record_delimiter = this.options.record_delimiter;
          }
        }
        const chr = buf[pos];
        if (raw === true) {
          rawBuffer.append(chr);
        }
        if (
          (chr === cr || chr === nl) &&
          this.state.wasRowDelimiter === false
        ) {
          this.state.wasRowDelimiter = true;
        }
        // Previous char was a valid escape char
        // treat the current char as a regular char
        if (this.state.escaping === true) {
          this.state.escaping = false;
        } else {
          // Escape is only active inside quoted fields
          // We are quoting, the char is an escape chr and there is a chr to escape
          // if(escape !== null && this.state.quoting === true && chr === escape && pos + 1 < bufLen){
          if (
            escape !== null &&
            this.state.quoting === true &&
            this.__isEscape(buf, pos, chr) &&
            pos + escape.length < bufLen
          ) {
            if (escapeIsQuote) {
              if (this.__isQuote(buf, pos + escape.length)) {
                this.state.escaping = true;
                pos += escape.length - 1;
                continue;
              }
            } else {
              this.state.escaping = true;
              pos += escape.length - 1;
              continue;
            }
          }
          // Not currently escaping and chr is a quote
          // TODO: need to compare bytes instead of single char
          if (this.state.commenting === false && this.__isQuote(buf, pos)) {
            if (this.state.quoting === true) {
              const nextChr = buf[pos + quote.length];
              const isNextChrTrimable =
                rtrim && this.__isCharTrimable(buf, pos + quote.length);
              const isNextChrComment =
                comment !== null &&
                this.__compareBytes(comment, buf, pos + quote.length, nextChr);
              const isNextChrDelimiter = this.__isDelimiter(
                buf,
                pos + quote.length,
                nextChr,
              );
              const isNextChrRecordDelimiter =
                record_delimiter.length === 0
                  ? this.__autoDiscoverRecordDelimiter(buf, pos + quote.length)
                  : this.__isRecordDelimiter(nextChr, buf, pos + quote.length);
              // Escape a quote
              // Treat next char as a regular character
              if (
                escape !== null &&
                this.__isEscape(buf, pos, chr) &&
                this.__isQuote(buf, pos + escape.length)
              ) {
                pos += escape.length - 1;
              } else if (
                !nextChr ||
                isNextChrDelimiter ||
                isNextChrRecordDelimiter ||
                isNextChrComment ||
                isNextChrTrimable
              ) {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                pos += quote.length - 1;
                continue;
              } else if (relax_quotes === false) {
                const err = this.__error(
                  new CsvError(
                    "CSV_INVALID_CLOSING_QUOTE",
                    [
                      "Invalid Closing Quote:",
                      `got "${String.fromCharCode(nextChr)}"`,
                      `at line ${this.info.lines}`,
                      "instead of delimiter, record delimiter, trimable character",
                      "(if activated) or comment",
                    ],
                    this.options,
                    this.__infoField(),
                  ),
                );
                if (err !== undefined) return err;
              } else {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                this.state.field.prepend(quote);
                pos += quote.length - 1;
              }
            } else {
              if (this.state.field.length !== 0) {
                // In relax_quotes mode, treat opening quote preceded by chrs as regular
                if (relax_quotes === false) {
                  const info = this.__infoField();
                  const bom = Object.keys(boms)
                    .map((b) =>
                      boms[b].equals(this.state.field.toString()) ? b : false,
                    )
                    .filter(Boolean)[0];
                  const err = this.__error(
                    new CsvError(
                      "INVALID_OPENING_QUOTE",
                      [
                        "Invalid Opening Quote:",
                        `a quote is found on field ${JSON.stringify(info.column)} at line ${info.lines}, value is ${JSON.stringify(this.state.field.toString(encoding))}`,
                        bom ? `(${bom} bom)` : undefined,
                      ],
                      this.options,
                      info,
                      {
                        field: this.state.field,
                      },
                    ),
                  );
                  if (err !== undefined) return err;
                }
              } else {
                this.state.quoting = true;
                pos += quote.length - 1;
                continue;
              }
            }
          }
          if (this.state.quoting === false) {
            const recordDelimiterLength = this.__isRecordDelimiter(
              chr,
              buf,
              pos,
            );
            if (recordDelimiterLength !== 0) {
              // Do not emit comments which take a full line
              const skipCommentLine =
                this.state.commenting &&
                this.state.wasQuoting === false &&
                this.state.record.length === 0 &&
                this.state.field.length === 0;
              if (skipCommentLine) {
                this.info.comment_lines++;
                // Skip full comment line
              } else {
                // Activate records emission if above from_line
                if (
                  this.state.enabled === false &&
                  this.info.lines +
                    (this.state.wasRowDelimiter === true ? 1 : 0) >=
                    from_line
                ) {
                  this.state.enabled = true;
                  this.__resetField();
                  this.__resetRecord();
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                // Skip if line is empty and skip_empty_lines activated
                if (
                  skip_empty_lines === true &&
                  this.state.wasQuoting === false &&
                  this.state.record.length === 0 &&
                  this.state.field.length === 0
                ) {
                  this.info.empty_lines++;
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                this.info.bytes = this.state.bufBytesStart + pos;
                const errField = this.__onField();
                if (errField !== undefined) return errField;
                this.info.bytes =
                  this.state.bufBytesStart + pos + recordDelimiterLength;
                const errRecord = this.__onRecord(push);
                if (errRecord !== undefined) return errRecord;
                if (to !== -1 && this.info.records >= to) {
                  this.state.stop = true;
                  close();
                  return;
                }
              }
              this.state.commenting = false;
              pos += recordDelimiterLength - 1;
              continue;
            }
            if (this.state.commenting) {
              continue;
            }
            if (
              comment !== null &&
              (comment_no_infix === false ||
                (this.state.record.length === 0 &&
                  this.state.field.length === 0))
            ) {
              const commentCount = this.__compareBytes(comment, buf, pos, chr);
              if (commentCount !== 0) {
                this.state.commenting = true;
                continue;
              }
            }
            const delimiterLength = this.__isDelimiter(buf, pos, chr);
            if (delimiterLength !== 0) {
              this.info.bytes = this.state.bufBytesStart + pos;
              const errField = this.__onField();
              if (errField !== undefined) return errField;
              pos += delimiterLength - 1;
              continue;
            }
          }
        }
        if (this.state.commenting === false) {
          if (
            max_record_size !== 0 &&
            this.state.record_length + this.state.field.length > max_record_size
          ) {
            return this.__error(
              new CsvError(
                "CSV_MAX_RECORD_SIZE",
                [
                  "Max Record Size:",
                  "record exceed the maximum number of tolerated bytes",
                  `of ${max_record_size}`,
                  `at line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
              ),
            );
          }
        }
        const lappend =
          ltrim === false ||
          this.state.quoting === true ||
          this.state.field.length !== 0 ||
          !this.__isCharTrimable(buf, pos);
        // rtrim in non quoting is handle in __onField
        const rappend = rtrim === false || this.state.wasQuoting === false;
        if (lappend === true && rappend === true) {
          this.state.field.append(chr);
        } else if (rtrim === true && !this.__isCharTrimable(buf, pos)) {
          return this.__error(
            new CsvError(
              "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE",
              [
                "Invalid Closing Quote:",
                "found non trimable byte after quote",
                `at line ${this.info.lines}`,
              ],
              this.options,
              this.__infoField(),
            ),
          );
        } else {
          if (lappend === false) {
            pos += this.__isCharTrimable(buf, pos) - 1;
          }
          continue;
        }
      }
      if (end === true) {
        // Ensure we are not ending in a quoting state
        if (this.state.quoting === true) {
          const err = this.__error(
            new CsvError(
              "CSV_QUOTE_NOT_CLOSED",
              [
                "Quote Not Closed:",
                `the parsing is finished with an opening quote at line ${this.info.lines}`,
              ],
              this.options,
              this.__infoField(),
            ),
          );
          if (err !== undefined) return err;
        } else {
          // Skip last line if it has no characters
          if (
            this.state.wasQuoting === true ||
            this.state.record.length !== 0 ||
            this.state.field.length !== 0
          ) {
            this.info.bytes = this.state.bufBytesStart + pos;
            const errField = this.__onField();
            if (errField !== undefined) return errField;
            const errRecord = this.__onRecord(push);
            if (errRecord !== undefined) return errRecord;
          } else if (this.state.wasRowDelimiter === true) {
            this.info.empty_lines++;
          } else if (this.state.commenting === true) {
            this.info.comment_lines++;
          }
        }
      } else {
        this.state.bufBytesStart += pos;
        this.state.previousBuf = buf.slice(pos);
      }
      if (this.state.wasRowDelimiter === true) {
        this.info.lines++;
        this.state.wasRowDelimiter = false;
      }
    },
    __onRecord: function (push) {
      const {
        columns,
        group_columns_by_name,
        encoding,
        info,
        from,
        relax_column_count,
        relax_column_count_less,
        relax_column_count_more,
        raw,
        skip_records_with_empty_values,
      } = this.options;
      const { enabled, record } = this.state;
      if (enabled === false) {
        return this.__resetRecord();
      }
      // Convert the first line into column names
      const recordLength = record.length;
      if (columns === true) {
        if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
          this.__resetRecord();
          return;
        }
        return this.__firstLineToColumns(record);
      }
      if (columns === false && this.info.records === 0) {
        this.state.expectedRecordLength = recordLength;
      }
      if (recordLength !== this.state.expectedRecordLength) {
        const err =
          columns === false
            ? new CsvError(
                "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
                [
                  "Invalid Record Length:",
                  `expect ${this.state.expectedRecordLength},`,
                  `got ${recordLength} on line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
                {
                  record: record,
                },
              )
            : new CsvError(
                "CSV_RECORD_INCONSISTENT_COLUMNS",
                [
                  "Invalid Record Length:",
                  `columns length is ${columns.length},`, // rename columns
                  `got ${recordLength} on line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
                {
                  record: record,
                },
              );
        if (
          relax_column_count === true ||
          (relax_column_count_less === true &&
            recordLength < this.state.expectedRecordLength) ||
          (relax_column_count_more === true &&
            recordLength > this.state.expectedRecordLength)
        ) {
          this.info.invalid_field_length++;
          this.state.error = err;
          // Error is undefined with skip_records_with_error
        } else {
          const finalErr = this.__error(err);
          if (finalErr) return finalErr;
        }
      }
      if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
        this.__resetRecord();
        return;
      }
      if (this.state.recordHasError === true) {
        this.__resetRecord();
        this.state.recordHasError = false;
        return;
      }
      this.info.records++;
      if (from === 1 || this.info.records >= from) {
        const { objname } = this.options;
        // With columns, records are object
        if (columns !== false) {
          const obj = {};
          // Transform record array to an object
          for (let i = 0, l = record.length; i < l; i++) {
            if (columns[i] === undefined || columns[i].disabled) continue;
            // Turn duplicate columns into an array
            if (
              group_columns_by_name === true &&
              Object.hasOwn(obj, columns[i].name)
            ) {
              if (Array.isArray(obj[columns[i].name])) {
                obj[columns[i].name] = obj[columns[i].name].concat(record[i]);
              } else {
                obj[columns[i].name] = [obj[columns[i].name], record[i]];
              }
            } else {
              Object.defineProperty(obj, columns[i].name, {
                value: record[i],
                enumerable: true,
                writable: true,
                configurable: true,
              });
            }
          }
          // Without objname (default)
          if (raw === true || info === true) {
            const extRecord = Object.assign(
              { record: obj },
              raw === true
                ? { raw: this.state.rawBuffer.toString(encoding) }
                : {},
              info === true ? { info: this.__infoRecord() } : {},
            );
            const err = this.__push(
              objname === undefined ? extRecord : [obj[objname], extRecord],
              push,
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === undefined ? obj : [obj[objname], obj],
              push,
            );
            if (err) {
              return err;
            }
          }
          // Without columns, records are array
        } else {
          if (raw === true || info === true) {
            const extRecord = Object.assign(
              { record: record },
              raw === true
                ? { raw: this.state.rawBuffer.toString(encoding) }
                : {},
              info === true ? { info: this.__infoRecord() } : {},
            );
            const err = this.__push(
              objname === undefined ? extRecord : [record[objname], extRecord],
              push,
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === undefined ? record : [record[objname], record],
              push,
            );
            if (err) {
              return err;
            }
          }
        }
      }
      this.__resetRecord();
    },
    __firstLineToColumns: function (record) {
      const { firstLineToHeaders } = this.state;
      try {
        const headers =
          firstLineToHeaders === undefined
            ? record
            : firstLineToHeaders.call(null, record);
        if (!Array.isArray(headers)) {
          return this.__error(
            new CsvError(
              "CSV_INVALID_COLUMN_MAPPING",
              [
                "Invalid Column Mapping:",
                "expect an array from column function,",
                `got ${JSON.stringify(headers)}`,
              ],
              this.options,
              this.__infoField(),
              {
                headers: headers,
              },
            ),
          );
        }
        const normalizedHeaders = normalize_columns_array(headers);
        this.state.expectedRecordLength = normalizedHeaders.length;
        this.options.columns = normalizedHeaders;
        this.__resetRecord();
        return;
      } catch (err) {
        return err;
      }
    },
    __resetRecord: function () {
      if (this.options.raw === true) {
        this.state.rawBuffer.reset();
      }
      this.state.error = undefined;
      this.state.record = [];
      this.state.record_length = 0;
    },
    __onField: function () {
      const { cast, encoding, rtrim, max_record_size } = this.options;
      const { enabled, wasQuoting } = this.state;
      // Short circuit for the from_line options
      if (enabled === false) {
        return this.__resetField();
      }
      let field = this.state.field.toString(encoding);
      if (rtrim === true && wasQuoting === false) {
        field = field.trimRight();
      }
      if (cast === true) {
        const [err, f] = this.__cast(field);
        if (err !== undefined) return err;
        field = f;
      }
      this.state.record.push(field);
      // Increment record length if record size must not exceed a limit
      if (max_record_size !== 0 && typeof field === "string") {
        this.state.record_length += field.length;
      }
      this.__resetField();
    },
    __resetField: function () {
      this.state.field.reset();
      this.state.wasQuoting = false;
    },
    __push: function (record, push) {
      const { on_record } = this.options;
      if (on_record !== undefined) {
        const info = this.__infoRecord();
        try {
          record = on_record.call(null, record, info);
        } catch (err) {
          return err;
        }
        if (record === undefined || record === null) {
          return;
        }
      }
      this.info.bytes_records += this.info.bytes;
      push(record);
    },
    // Return a tuple with the error and the casted value
    __cast: function (field) {
      const { columns, relax_column_count } = this.options;
      const isColumns = Array.isArray(columns);
      // Dont loose time calling cast
      // because the final record is an object
      // and this field can't be associated to a key present in columns
      if (
        isColumns === true &&
        relax_column_count &&
        this.options.columns.length <= this.state.record.length
      ) {
        return [undefined, undefined];
      }
      if (this.state.castField !== null) {
        try {
          const info = this.__infoField();
          return [undefined, this.state.castField.call(null, field, info)];
        } catch (err) {
          return [err];
        }
      }
      if (this.__isFloat(field)) {
        return [undefined, parseFloat(field)];
      } else if (this.options.cast_date !== false) {
        const info = this.__infoField();
        return [undefined, this.options.cast_date.call(null, field, info)];
      }
      return [undefined, field];
    },
    __compareBytes: function (sourceBuf, targetBuf, targetPos, firstByte) {
      if (sourceBuf[0] !== firstByte) return 0;
      const sourceLength = sourceBuf.length;
      for (let i = 1; i < sourceLength; i++) {
        if (sourceBuf[i] !== targetBuf[targetPos + i]) return 0;
      }
      return sourceLength;
    },
    // Helper to test if a character is trimable
    __isCharTrimable: function (buf, pos) {
      const { timchars, timcharFirstBytes } = this.state;
      // Fast bail-out: non-whitespace bytes (the common case) are rejected
      // without scanning the full timchar list.
      const first = buf[pos];
      if (first === undefined || timcharFirstBytes[first] === 0) return 0;
      loop1: for (let i = 0; i < timchars.length; i++) {
        const timchar = timchars[i];
        for (let j = 0; j < timchar.length; j++) {
          if (timchar[j] !== buf[pos + j]) continue loop1;
        }
        return timchar.length;
      }
      return 0;
    },
    __isDelimiter: function (buf, pos, chr) {
      const { delimiter, ignore_last_delimiters } = this.options;
      if (
        ignore_last_delimiters === true &&
        this.state.record.length === this.options.columns.length - 1
      ) {
        return 0;
      } else if (
        ignore_last_delimiters !== false &&
        typeof ignore_last_delimiters === "number" &&
        this.state.record.length === ignore_last_delimiters - 1
      ) {
        return 0;
      }
      loop1: for (let i = 0; i < delimiter.length; i++) {
        const del = delimiter[i];
        if (del[0] === chr) {
          for (let j = 1; j < del.length; j++) {
            if (del[j] !== buf[pos + j]) continue loop1;
          }
          return del.length;
        }
      }
      return 0;
    },
    __isEscape: function (buf, pos, chr) {
      const { escape } = this.options;
      if (escape === null) return false;
      const l = escape.length;
      if (escape[0] === chr) {
        for (let i = 0; i < l; i++) {
          if (escape[i] !== buf[pos + i]) {
            return false;
          }
        }
        return true;
      }
      return false;
    },
    __isFloat: function (value) {
      return value - parseFloat(value) + 1 >= 0; // Borrowed from jquery
    },
    // Keep it in case we implement the `cast_int` option
    // __isInt(value){
    //   // return Number.isInteger(parseInt(value))
    //   // return !isNaN( parseInt( obj ) );
    //   return /^(\-|\+)?[1-9][0-9]*$/.test(value)
    // }
    __isQuote: function (buf, pos) {
      const { quote } = this.options;
      if (quote === null) return false;
      const l = quote.length;
      for (let i = 0; i < l; i++) {
        if (quote[i] !== buf[pos + i]) {
          return false;
        }
      }
      return true;
    },
    __isRecordDelimiter: function (chr, buf, pos) {
      const { record_delimiter } = this.options;
      const recordDelimiterLength = record_delimiter.length;
      loop1: for (let i = 0; i < recordDelimiterLength; i++) {
        const rd = record_delimiter[i];
        const rdLength = rd.length;
        if (rd[0] !== chr) {
          continue;
        }
        for (let j = 1; j < rdLength; j++) {
          if (rd[j] !== buf[pos + j]) {
            continue loop1;
          }
        }
        return rd.length;
      }
      return 0;
    },
    __autoDiscoverRecordDelimiter: function (buf, pos) {
      const { encoding } = this.options;
      // Note, we don't need to cache this information in state,
      // It is only called on the first line until we find out a suitable
      // record delimiter.
      const rds = [
        // Important, the windows line ending must be before mac os 9
        Buffer.from("\r\n", encoding),
        Buffer.from("\n", encoding),
        Buffer.from("\r", encoding),
      ];
      loop: for (let i = 0; i < rds.length; i++) {
        const l = rds[i].length;
        for (let j = 0; j < l; j++) {
          if (rds[i][j] !== buf[pos + j]) {
            continue loop;
          }
        }
        this.options.record_delimiter.push(rds[i]);
        this.state.recordDelimiterMaxLength = rds[i].length;
        return rds[i].length;
      }
      return 0;
    },
    __error: function (msg) {
      const { encoding, raw, skip_records_with_error } = this.options;
      const err = typeof msg === "string" ? new Error(msg) : msg;
      if (skip_records_with_error) {
        this.state.recordHasError = true;
        if (this.options.on_skip !== undefined) {
          try {
            this.options.on_skip(
              err,
              raw ? this.state.rawBuffer.toString(encoding) : undefined,
            );
          } catch (err) {
            return err;
          }
        }
        // this.emit('skip', err, raw ? this.state.rawBuffer.toString(encoding) : undefined);
        return undefined;
      } else {
        return err;
      }
    },
    __infoDataSet: function () {
      return {
        ...this.info,
        columns: this.options.columns,
      };
    },
    __infoRecord: function () {
      const { columns, raw, encoding } = this.options;
      return {
        ...this.__infoDataSet(),
        bytes_records: this.info.bytes,
        error: this.state.error,
        header: columns === true,
        index: this.state.record.length,
        raw: raw ? this.state.rawBuffer.toString(encoding) : undefined,
      };
    },
    __infoField: function () {
      const { columns } = this.options;
      const isColumns = Array.isArray(columns);
      // Bytes records are only incremented when all records'fields are parsed
      const bytes_records = this.info.bytes_records;
      return {
        ...this.__infoRecord(),
        bytes_records: bytes_records,
        column:
          isColumns === true
            ? columns.length > this.state.record.length
              ? columns[this.state.record.length].name
              : null
            : this.state.record.length,
        quoting: this.state.wasQuoting,
      };
    },
  };
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/sync.js



const parse = function (data, opts = {}) {
  if (typeof data === "string") {
    data = Buffer.from(data);
  }
  const records = opts && opts.objname ? Object.create(null) : [];
  const parser = transform(opts);
  const push = (record) => {
    if (parser.options.objname === undefined) records.push(record);
    else {
      records[record[0]] = record[1];
    }
  };
  const close = () => {};
  const error = parser.parse(data, true, push, close);
  if (error !== undefined) throw error;
  return records;
};



;// CONCATENATED MODULE: ./src/lib/inputs.ts
/**
 * Pure parsers for action inputs. Each takes the input's name so that its error can say
 * which input was wrong and what was expected. Stages read raw strings with
 * `@actions/core` (src/common/inputs.ts) and hand them here.
 */


const ATTRIBUTE = /^[A-Za-z0-9_.-]+=/;
/**
 * A list input: one value per line, and (unless `comma: 'never'`) per comma. Blank lines
 * and surrounding whitespace are dropped.
 */
function parseList(name, raw, options = {}) {
    const comma = options.comma ?? 'split';
    const comment = options.comment === undefined ? '#' : options.comment;
    const out = [];
    for (const rawLine of raw.split(/\r?\n/)) {
        const line = rawLine.trim();
        if (line === '')
            continue;
        if (comment && line.startsWith(comment))
            continue;
        if (comma === 'never' || !line.includes(',')) {
            out.push(unquote(line));
            continue;
        }
        let fields;
        try {
            const records = parse(line, {
                columns: false,
                relax_quotes: true,
                relax_column_count: true,
                skip_empty_lines: true,
                trim: true
            });
            fields = records.flat();
        }
        catch {
            throw new errors_InputError(name, `could not read the line ${JSON.stringify(line)} as a comma-separated list (check its quotes)`);
        }
        // `type=local,src=dir` is one value made of attributes, not two values.
        if (fields.length > 1 && fields.every(f => ATTRIBUTE.test(f))) {
            out.push(line);
            continue;
        }
        for (const f of fields)
            if (f !== '')
                out.push(f);
    }
    return out;
}
function unquote(s) {
    if (s.length >= 2 &&
        ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
        return s.slice(1, -1);
    }
    return s;
}
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);
/** A boolean input in the YAML 1.2 core schema, as the runner's getBooleanInput reads it. */
function parseBoolean(name, raw, fallback) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (TRUE.has(v))
        return true;
    if (FALSE.has(v))
        return false;
    throw new errors_InputError(name, `expected true or false, got ${JSON.stringify(v)}`);
}
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * A duration such as `500ms`, `30s`, `2m`, `1h`, `1.5s` or `1m30s`, in milliseconds.
 * `0` alone is accepted; any other bare number is rejected because its unit is unclear.
 */
function parseDuration(name, raw, fallback) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    const expected = 'expected a duration such as 500ms, 30s, 2m or 1h';
    if (v === '0')
        return 0;
    if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
        throw new InputError(name, `${expected}, got ${JSON.stringify(v)}`);
    }
    let total = 0;
    const seen = new Set();
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
        const unit = m[2];
        if (seen.has(unit))
            throw new InputError(name, `${expected}, got ${JSON.stringify(v)} (unit ${unit} twice)`);
        seen.add(unit);
        total += Number(m[1]) * UNIT_MS[unit];
    }
    return Math.round(total);
}
/** One of a fixed set of values (case-sensitive, as the docs spell them). */
function parseEnum(name, raw, allowed, fallback) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (allowed.includes(v))
        return v;
    throw new InputError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}
/** A whole number, optionally bounded. */
function parseInteger(name, raw, fallback, bounds = {}) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (!/^-?\d+$/.test(v))
        throw new InputError(name, `expected a whole number, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (bounds.min !== undefined && n < bounds.min) {
        throw new InputError(name, `expected a number of at least ${bounds.min}, got ${n}`);
    }
    if (bounds.max !== undefined && n > bounds.max) {
        throw new InputError(name, `expected a number of at most ${bounds.max}, got ${n}`);
    }
    return n;
}
/** A decimal number, optionally bounded (ratios, rates, cores). */
function parseNumber(name, raw, fallback, bounds = {}) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(v))
        throw new InputError(name, `expected a number, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (bounds.min !== undefined && n < bounds.min) {
        throw new InputError(name, `expected a number of at least ${bounds.min}, got ${n}`);
    }
    if (bounds.max !== undefined && n > bounds.max) {
        throw new InputError(name, `expected a number of at most ${bounds.max}, got ${n}`);
    }
    return n;
}
/** `KEY=value` lines (env, build-args, labels): the key must be non-empty. */
function parseKeyValues(name, raw) {
    // The value may be a secret: an error names the entry's position, never its text.
    return parseList(name, raw, { comma: 'never' }).map((line, n) => {
        const i = line.indexOf('=');
        if (i <= 0)
            throw new errors_InputError(name, `expected KEY=value in entry ${n + 1}`);
        return [line.slice(0, i).trim(), line.slice(i + 1)];
    });
}

;// CONCATENATED MODULE: ./src/build-image/inputs.ts







/** Input and output names: the action's contract, spelled once. */
const INPUT = {
    context: 'context',
    file: 'file',
    tags: 'tags',
    labels: 'labels',
    buildArgs: 'build-args',
    secrets: 'secrets',
    target: 'target',
    platforms: 'platforms',
    push: 'push',
    load: 'load',
    cacheFrom: 'cache-from',
    cacheTo: 'cache-to',
    pull: 'pull',
    noCache: 'no-cache',
    autoLabels: 'auto-labels',
    allowSecretBuildArgs: 'allow-secret-build-args',
    provenance: 'provenance',
    sbom: 'sbom',
    network: 'network',
    addHosts: 'add-hosts'
};
const OUTPUT = {
    imageId: 'image-id',
    digest: 'digest',
    image: 'image',
    tags: 'tags',
    metadata: 'metadata',
    engine: 'engine'
};
const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/|github\.com\/)/;
/** Reads and checks every input; a missing context, Dockerfile or secret file fails here, before anything runs. */
function getInputs(workspace = process.env.GITHUB_WORKSPACE ?? process.cwd(), env = process.env) {
    const tags = parseList(INPUT.tags, required(INPUT.tags, 'one or more image references to name the image, e.g. registry.example.com/team/app:${{ github.sha }}'));
    for (const t of tags)
        parseReference(INPUT.tags, t);
    const contextRaw = raw(INPUT.context) || '.';
    const remoteContext = REMOTE.test(contextRaw);
    const context = remoteContext ? contextRaw : external_node_path_default().resolve(workspace, contextRaw);
    if (!remoteContext && (!(0,external_node_fs_namespaceObject.existsSync)(context) || !(0,external_node_fs_namespaceObject.statSync)(context).isDirectory()))
        throw new errors_InputError(INPUT.context, `expected a directory to build from; ${JSON.stringify(contextRaw)} does not exist in the workspace (${workspace})`);
    const fileRaw = raw(INPUT.file);
    let file = '';
    if (fileRaw)
        file = external_node_path_default().resolve(workspace, fileRaw);
    else if (!remoteContext)
        file = external_node_path_default().join(context, 'Dockerfile');
    if (file && (!(0,external_node_fs_namespaceObject.existsSync)(file) || !(0,external_node_fs_namespaceObject.statSync)(file).isFile()))
        throw new errors_InputError(INPUT.file, `expected a Dockerfile; ${JSON.stringify(fileRaw || external_node_path_default().relative(workspace, file) || 'Dockerfile')} does not exist${fileRaw ? '' : ' in the context (set `file` to point at it)'}`);
    const secrets = parseList(INPUT.secrets, raw(INPUT.secrets)).map(parseSecret);
    const ids = new Set();
    for (const s of secrets) {
        if (ids.has(s.id))
            throw new errors_InputError(INPUT.secrets, `the id ${s.id} is given twice`);
        ids.add(s.id);
        if (s.kind === 'env' && env[s.source] === undefined)
            throw new errors_InputError(INPUT.secrets, `secret ${s.id} reads the environment variable ${s.source}, which is not set in this step (add it to the step's env:)`);
        if (s.kind === 'src') {
            s.source = external_node_path_default().resolve(workspace, s.source);
            if (!(0,external_node_fs_namespaceObject.existsSync)(s.source))
                throw new errors_InputError(INPUT.secrets, `secret ${s.id} reads the file ${external_node_path_default().relative(workspace, s.source)}, which does not exist`);
        }
    }
    const push = parseBoolean(INPUT.push, raw(INPUT.push), false);
    const provenance = raw(INPUT.provenance);
    const sbom = raw(INPUT.sbom);
    return {
        context,
        remoteContext,
        file,
        tags,
        labels: parseKeyValues(INPUT.labels, raw(INPUT.labels)),
        buildArgs: parseKeyValues(INPUT.buildArgs, raw(INPUT.buildArgs)),
        secrets,
        target: raw(INPUT.target),
        platforms: parseList(INPUT.platforms, raw(INPUT.platforms)),
        push,
        load: raw(INPUT.load) === '' ? undefined : parseBoolean(INPUT.load, raw(INPUT.load)),
        cacheFrom: parseList(INPUT.cacheFrom, raw(INPUT.cacheFrom)),
        cacheTo: parseList(INPUT.cacheTo, raw(INPUT.cacheTo)),
        pull: parseBoolean(INPUT.pull, raw(INPUT.pull), false),
        noCache: parseBoolean(INPUT.noCache, raw(INPUT.noCache), false),
        autoLabels: parseBoolean(INPUT.autoLabels, raw(INPUT.autoLabels), true),
        allowSecretBuildArgs: parseBoolean(INPUT.allowSecretBuildArgs, raw(INPUT.allowSecretBuildArgs), false),
        provenance,
        sbom,
        network: raw(INPUT.network),
        addHosts: parseList(INPUT.addHosts, raw(INPUT.addHosts))
    };
}

;// CONCATENATED MODULE: ./src/build-image/main.ts














/** Secret values are masked in every later log line, whatever prints them. */
function maskSecrets(inputs, ctx) {
    for (const s of inputs.secrets) {
        const value = s.kind === 'env' ? ctx.env[s.source] : (0,external_node_fs_namespaceObject.readFileSync)(s.source, 'utf8').slice(0, 65_536);
        const masks = new Set([
            value,
            value?.trim(),
            ...(value ?? '').split(/\r?\n/).map(l => l.trim())
        ]);
        for (const m of masks)
            if (m)
                ctx.mask(m);
    }
}
function summarize(r, inputs, workspace) {
    const cached = `${r.steps.cached} / ${r.steps.total}`;
    const rows = [
        ['Engine path', ENGINE_LABEL[r.engine.path]],
        ['Duration', formatDuration(r.durationMs)],
        ['Cached steps', cached],
        ['Image id', code(r.imageId)],
        ['Image', code(r.image)],
        ['Digest', r.digest ? code(r.digest) : 'not pushed'],
        ['Size', r.size ? formatBytes(r.size) : 'not in the local engine'],
        ['Layers', String(r.layers)],
        [
            'Dockerfile',
            inputs.file ? code(external_node_path_default().relative(workspace, inputs.file)) : 'from the remote context'
        ]
    ];
    let md = heading('build-image') + table(['', ''], rows);
    if (inputs.secrets.length)
        md += `\nBuild secrets (ids only): ${inputs.secrets.map(s => code(s.id)).join(', ')}\n`;
    if (r.pushed.length) {
        md +=
            '\n' +
                heading('Pushed', 3) +
                table(['Tag', 'Pinned reference', 'Attempts'], r.pushed.map(p => [
                    code(p.tag),
                    code(r.image.replace(/@.*$/, '') + '@' + p.digest),
                    p.attempts
                ]));
    }
    const labels = Object.entries(r.labels);
    if (labels.length)
        md +=
            '\n' +
                heading('Labels', 3) +
                table(['Label', 'Value'], labels.map(([k, v]) => [code(k), v]));
    if (r.warnings.length)
        md += '\n' + r.warnings.map(w => `> ⚠️ ${w}`).join('\n') + '\n';
    return md;
}
/** A Dockerfile that failed to build, already annotated; `summary` says where and why. */
class BuildFailedError extends errors_UserError {
    dockerfileError;
    summary;
    constructor(dockerfileError, summary) {
        super(dockerfileError.message);
        this.dockerfileError = dockerfileError;
        this.summary = summary;
        this.name = 'BuildFailedError';
    }
}
/**
 * Builds (and pushes) the image. A Dockerfile that fails to build is annotated at the
 * failing instruction and thrown as a BuildFailedError carrying the failure's summary.
 */
async function execute(inputs, ctx) {
    const { logger, workspace, env } = ctx;
    maskSecrets(inputs, ctx);
    const suspicious = checkBuildArgs(inputs.buildArgs, inputs.allowSecretBuildArgs);
    if (suspicious.length)
        logger.warning(`build-args ${suspicious.join(', ')} look like credentials and are recorded in the image history (allowed by allow-secret-build-args)`);
    // Independent start-up work overlaps: the builder (cached per job in RUNNER_TEMP), the
    // commit time (only when the `created` label needs it) and the Dockerfile's text.
    const [engine, commit, dockerfileText] = await Promise.all([
        logger.group('Detect the builder', async () => {
            const e = await detectEngine(undefined, undefined, {
                cacheDir: env.RUNNER_TEMP || null,
                env,
                logger
            });
            logger.info(`Engine path: ${ENGINE_LABEL[e.path]} (client ${e.client})`);
            return e;
        }),
        needsCommitTime(inputs.autoLabels, inputs.labels, env)
            ? commitTime(workspace, env)
            : Promise.resolve(undefined),
        // A remote context has no local Dockerfile to point annotations at: an empty text maps no line.
        inputs.file ? (0,promises_namespaceObject.readFile)(inputs.file, 'utf8') : Promise.resolve('')
    ]);
    const github = {
        serverUrl: env.GITHUB_SERVER_URL,
        repository: env.GITHUB_REPOSITORY,
        sha: env.GITHUB_SHA,
        ref: env.GITHUB_REF,
        sourceDateEpoch: env.SOURCE_DATE_EPOCH,
        commitTime: commit
    };
    const labels = inputs.autoLabels ? mergeLabels(autoLabels(github), inputs.labels) : inputs.labels;
    const temp = env.RUNNER_TEMP || (await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 8161, 23))).tmpdir();
    const stamp = `${process.pid}-${Date.now()}`;
    const req = {
        context: inputs.context,
        file: inputs.file,
        tags: inputs.tags,
        labels,
        buildArgs: inputs.buildArgs,
        secrets: inputs.secrets,
        target: inputs.target,
        platforms: inputs.platforms,
        push: inputs.push,
        // Unset: buildx loads when not pushing; the classic builders always load (no warning then).
        load: inputs.load ?? (engine.path === 'buildx' ? !inputs.push : true),
        cacheFrom: inputs.cacheFrom,
        cacheTo: inputs.cacheTo,
        pull: inputs.pull,
        noCache: inputs.noCache,
        network: inputs.network,
        addHosts: inputs.addHosts,
        provenance: inputs.provenance,
        sbom: inputs.sbom,
        iidFile: external_node_path_default().join(temp, `gantry-build-image-${stamp}.iid`),
        metadataFile: external_node_path_default().join(temp, `gantry-build-image-${stamp}.json`)
    };
    const displayFile = inputs.file
        ? external_node_path_default().relative(workspace, inputs.file).split((external_node_path_default()).sep).join('/')
        : 'Dockerfile';
    let result;
    try {
        result = await build(engine, req, dockerfileText, displayFile, {
            docker: defaultClientFactory(engine.client, {}),
            logger
        });
    }
    catch (e) {
        if (e instanceof DockerfileError) {
            const loc = e.location;
            const body = [
                `${loc.instruction ? `${loc.instruction}\n` : ''}failed on ${ENGINE_LABEL[engine.path]}:`,
                ...loc.output
            ].join('\n');
            logger.error(body, {
                title: 'Image build failed',
                file: inputs.file && loc.line ? displayFile : undefined,
                startLine: loc.line
            });
            const summary = heading('build-image failed') +
                table(['', ''], [
                    ['Engine path', ENGINE_LABEL[engine.path]],
                    ['Dockerfile', code(`${displayFile}${loc.line ? `:${loc.line}` : ''}`)],
                    ['Instruction', code(loc.instruction ?? '')]
                ]) +
                `\n\`\`\`text\n${loc.output.join('\n').replace(/```/g, "'''")}\n\`\`\`\n`;
            throw new BuildFailedError(e, summary);
        }
        throw e;
    }
    logger.info(`Built ${result.image} on ${ENGINE_LABEL[engine.path]} in ${formatDuration(result.durationMs)} (${result.steps.cached}/${result.steps.total} steps cached)`);
    return {
        outputs: {
            [OUTPUT.imageId]: result.imageId,
            [OUTPUT.digest]: result.digest,
            [OUTPUT.image]: result.image,
            [OUTPUT.tags]: result.tags.join('\n'),
            [OUTPUT.engine]: result.engine.path,
            [OUTPUT.metadata]: metadataJson(result, req)
        },
        summary: summarize(result, inputs, workspace),
        result
    };
}
async function run() {
    await runAction('build-image', async () => {
        const ctx = stepContext();
        try {
            await report(await execute(getInputs(ctx.workspace), ctx));
        }
        catch (e) {
            if (e instanceof BuildFailedError)
                await writeSummary(e.summary);
            throw e;
        }
    });
}

;// CONCATENATED MODULE: ./src/build-image/index.ts

void run();

module.exports = __webpack_exports__;
/******/ })()
;