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

/***/ 4708:
/***/ ((module) => {

module.exports = require("node:https");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = require("node:net");

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
/******/ 			__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
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

// EXTERNAL MODULE: ../../node_modules/@actions/core/lib/core.js + 7 modules
var core = __nccwpck_require__(3400);
;// CONCATENATED MODULE: ./src/lib/errors.ts
/**
 * Errors that are the user's to fix, told apart from bugs at each action's one error
 * boundary (src/common/run.ts). Their message is shown as a single `::error::` line, so it
 * must say what was wrong and what was expected, and must never hold a secret.
 */
class UserError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UserError';
    }
}
/** A bad or missing input: the message names the input and what it expected. */
class errors_InputError extends UserError {
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
    return e instanceof UserError;
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
        if (core/* isDebug */._o() && e instanceof Error && e.stack)
            core/* debug */.Yz(redactCredentials(e.stack));
        const oneLine = redactCredentials(errorMessage(e)).replace(/\s*[\r\n]+\s*/g, ' ');
        if (isUserError(e)) {
            core/* setFailed */.C1(oneLine);
        }
        else {
            core/* setFailed */.C1(`${name} failed unexpectedly (a Gantry bug; rerun with ACTIONS_STEP_DEBUG=true for the stack and report it): ${oneLine}`);
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
    debug: m => core/* debug */.Yz(safeLogText(m)),
    info: m => core/* info */.pq(safeLogText(m)),
    warning: (m, p) => core/* warning */.$e(safeLogText(m), toCore(p)),
    error: (m, p) => core/* error */.z3(safeLogText(m), toCore(p)),
    group: (name, fn) => core/* group */.Os(safeLogText(name), fn)
};

;// CONCATENATED MODULE: ./src/common/summary.ts


/** Appends Markdown to the job summary; outside a runner (no GITHUB_STEP_SUMMARY) it is only logged at debug. */
async function writeSummary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) {
        core/* debug */.Yz('GITHUB_STEP_SUMMARY is not set; job summary skipped');
        return;
    }
    await core/* summary */.z.addRaw(redactCredentials(markdown), true).write();
}

;// CONCATENATED MODULE: ./src/common/stage.ts
/** Runs a stage as its own step: inputs from the runner, outcome to outputs and the summary. */





function stepContext() {
    return {
        logger: coreLogger,
        mask: s => core/* setSecret */.Pq(s),
        env: process.env,
        workspace: process.env.GITHUB_WORKSPACE || process.cwd()
    };
}
/** Sets every output, writes the summary, then fails the step when the stage's check failed. */
async function report(o) {
    // Outputs are read by later steps and shown in logs: no credentials in them.
    for (const [name, value] of Object.entries(o.outputs))
        core/* setOutput */.uH(name, redactCredentials(value));
    if (o.summary)
        await writeSummary(o.summary);
    if (o.failure !== undefined) {
        if (o.failureAnnotated) {
            core/* info */.pq(safeLogText(o.failure));
            process.exitCode = 1;
        }
        else
            throw new UserError(o.failure);
    }
}

;// CONCATENATED MODULE: ./src/lib/registry/errors.ts
/** Registry failures: each says what was asked of which registry and what it answered. */

/** A registry answered with an error, or could not be reached. These are the user's to fix
 * (a wrong name, wrong credentials, an unreachable host), so they are UserErrors. */
class RegistryError extends UserError {
    status;
    code;
    constructor(message, options = {}) {
        super(message);
        this.name = 'RegistryError';
        this.status = options.status;
        this.code = options.code;
    }
}
/** Content whose bytes do not hash to the digest it was asked for: never written anywhere. */
class DigestMismatchError extends RegistryError {
    constructor(what, expected, actual) {
        super(`digest mismatch: ${what} should have digest ${expected} but the bytes received hash to ${actual}; nothing was written for it`, { code: 'DIGEST_MISMATCH' });
        this.name = 'DigestMismatchError';
    }
}
/** The manifest or blob does not exist. */
class NotFoundError extends RegistryError {
    constructor(message, status = 404) {
        super(message, { status, code: 'NOT_FOUND' });
        this.name = 'NotFoundError';
    }
}
/** Credentials missing, refused, or without the access needed. */
class AuthError extends RegistryError {
    constructor(message, status) {
        super(message, { status, code: 'UNAUTHORIZED' });
        this.name = 'AuthError';
    }
}
/** The registry's error document (`{"errors":[{code,message,detail}]}`) as one short line. */
function describeErrorBody(text) {
    const t = text.trim();
    if (!t)
        return '';
    try {
        const doc = JSON.parse(t);
        if (Array.isArray(doc.errors) && doc.errors.length) {
            return doc.errors
                .map(e => [e.code, e.message].filter(Boolean).join(': '))
                .filter(Boolean)
                .join('; ');
        }
    }
    catch {
        /* not JSON */
    }
    return t.replace(/\s+/g, ' ').slice(0, 200);
}

;// CONCATENATED MODULE: ./src/lib/registry/auth.ts

/** Parses `WWW-Authenticate` (one or more challenges, quoted values with commas). */
function parseChallenges(header) {
    if (!header)
        return [];
    const out = [];
    const re = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)|\s*([A-Za-z0-9_.-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*,?/gy;
    let cur;
    let m;
    let last = -1;
    while (re.lastIndex < header.length && (m = re.exec(header))) {
        if (re.lastIndex === last)
            break;
        last = re.lastIndex;
        if (m[1]) {
            cur = { scheme: m[1].toLowerCase(), params: {} };
            out.push(cur);
        }
        else if (m[2] && cur) {
            const v = m[4] !== undefined ? m[4].replace(/\\(.)/g, '$1') : m[3];
            cur.params[m[2].toLowerCase()] = v;
        }
        // skip a separating comma between challenges
        while (header[re.lastIndex] === ',' || header[re.lastIndex] === ' ')
            re.lastIndex++;
    }
    return out;
}
/** Repository scope for the token flow. */
function repositoryScope(repository, push) {
    return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}
/** Merges scopes for the same resource (`repository:a:pull` + `repository:a:push` → `pull,push`). */
function mergeScopes(scopes) {
    const byResource = new Map();
    for (const s of scopes) {
        for (const one of s.split(' ').filter(Boolean)) {
            const i = one.lastIndexOf(':');
            const resource = one.slice(0, i);
            const actions = one
                .slice(i + 1)
                .split(',')
                .filter(Boolean);
            const set = byResource.get(resource) ?? new Set();
            actions.forEach(a => set.add(a));
            byResource.set(resource, set);
        }
    }
    return [...byResource.entries()].map(([r, a]) => `${r}:${[...a].sort().join(',')}`).sort();
}
/** Whether `have` grants every action of `want`. */
function scopesCover(have, want) {
    const h = new Map(mergeScopes(have).map(s => {
        const i = s.lastIndexOf(':');
        return [s.slice(0, i), new Set(s.slice(i + 1).split(','))];
    }));
    return mergeScopes(want).every(s => {
        const i = s.lastIndexOf(':');
        const got = h.get(s.slice(0, i));
        return (!!got &&
            s
                .slice(i + 1)
                .split(',')
                .every(a => got.has(a) || got.has('*')));
    });
}
/** What one registry host asked for, and the tokens it issued. */
class HostAuth {
    o;
    challenge;
    credential;
    tokens = [];
    pending = new Map();
    now;
    constructor(o) {
        this.o = o;
        this.now = o.now ?? Date.now;
    }
    cred() {
        this.credential ??= (this.o.credentials?.(this.o.registry) ?? Promise.resolve(undefined)).then(c => {
            if (c?.password)
                this.o.mask(c.password);
            if (c?.identityToken)
                this.o.mask(c.identityToken);
            if (c?.username && c.password)
                this.o.mask(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
            return c;
        });
        return this.credential;
    }
    /** Whether the host has told us how it authenticates. */
    get known() {
        return !!this.challenge;
    }
    /** The Authorization header for a request needing `scopes`, or undefined (anonymous). */
    async header(scopes) {
        const ch = this.challenge;
        if (!ch)
            return undefined;
        if (ch.scheme === 'basic') {
            const c = await this.cred();
            if (!c?.username && !c?.password)
                return undefined;
            return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
        }
        if (ch.scheme === 'bearer') {
            const t = await this.token(scopes);
            return `Bearer ${t.value}`;
        }
        return undefined;
    }
    /**
     * Learns from a 401. Returns the scopes to ask for when the request is worth sending
     * again (a new challenge, a scope to add, or an expired token to refresh), undefined when
     * the refusal is final.
     */
    async onUnauthorized(res, scopes, sentAuth) {
        const challenges = parseChallenges(res.headers.get('www-authenticate'));
        const ch = challenges.find(c => c.scheme === 'bearer') ?? challenges.find(c => c.scheme === 'basic');
        if (!ch)
            return undefined;
        const first = !this.challenge || this.challenge.scheme !== ch.scheme;
        this.challenge = ch;
        const asked = ch.params.scope ? mergeScopes([ch.params.scope, ...scopes]) : mergeScopes(scopes);
        if (!sentAuth || first) {
            if (ch.scheme === 'basic') {
                const c = await this.cred();
                return c?.username || c?.password ? asked : undefined;
            }
            return ch.scheme === 'bearer' ? asked : undefined;
        }
        if (ch.scheme === 'bearer') {
            // A scope the token lacks (scope upgrade), or a token the registry no longer takes.
            const used = this.tokens.find(t => sentAuth === `Bearer ${t.value}`);
            if (used)
                this.tokens.splice(this.tokens.indexOf(used), 1);
            if (used && ch.params.error === 'insufficient_scope' && scopesCover(used.scopes, asked))
                return undefined;
            return asked;
        }
        return undefined;
    }
    async token(scopes) {
        const want = mergeScopes(scopes);
        const now = this.now();
        const live = this.tokens.find(t => t.expiresAt - 10_000 > now && scopesCover(t.scopes, want));
        if (live)
            return live;
        for (let i = this.tokens.length - 1; i >= 0; i--)
            if (this.tokens[i].expiresAt <= now)
                this.tokens.splice(i, 1);
        const key = want.join(' ');
        let p = this.pending.get(key);
        if (!p) {
            p = this.fetchToken(want)
                .catch(async (e) => {
                // Push scope first; a token server that refuses it may still grant pull.
                const pullOnly = want.map(s => s.replace(/:([a-z,*]+)$/, (_m, a) => `:${a
                    .split(',')
                    .filter(x => x !== 'push' && x !== 'delete')
                    .join(',') || 'pull'}`));
                if (e instanceof AuthError && pullOnly.join(' ') !== want.join(' ')) {
                    this.o.logger.debug(`${this.o.registry}: push scope refused; asking for pull only`);
                    return this.fetchToken(mergeScopes(pullOnly));
                }
                throw e;
            })
                .finally(() => this.pending.delete(key));
            this.pending.set(key, p);
        }
        return p;
    }
    async fetchToken(scopes) {
        const ch = this.challenge;
        const realm = ch.params.realm;
        if (!realm)
            throw new AuthError(`${this.o.registry} asked for a Bearer token without a realm`);
        const c = await this.cred();
        const issuedBefore = this.now();
        let res;
        let url;
        try {
            url = new URL(realm);
        }
        catch {
            throw new AuthError(`${this.o.registry} names an invalid token realm ${JSON.stringify(realm)}`);
        }
        if (c?.identityToken) {
            const form = new URLSearchParams({
                grant_type: 'refresh_token',
                refresh_token: c.identityToken,
                client_id: 'gantry',
                access_type: 'offline'
            });
            if (ch.params.service)
                form.set('service', ch.params.service);
            form.set('scope', scopes.join(' '));
            res = await this.o.send(url.toString(), {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: form.toString()
            });
        }
        else {
            if (ch.params.service)
                url.searchParams.set('service', ch.params.service);
            for (const s of scopes)
                url.searchParams.append('scope', s);
            const headers = {};
            if (c?.username || c?.password) {
                url.searchParams.set('account', c.username ?? '');
                headers.authorization = `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
            }
            res = await this.o.send(url.toString(), { method: 'GET', headers });
        }
        const text = await res.text();
        if (res.status === 401 || res.status === 403) {
            throw new AuthError(`${this.o.registry}: the token server refused ${c ? 'the credentials' : 'anonymous access'} for ${scopes.join(' ')} (HTTP ${res.status}${describeErrorBody(text) ? `: ${describeErrorBody(text)}` : ''})`, res.status);
        }
        if (!res.ok) {
            throw new RegistryError(`${this.o.registry}: the token server answered HTTP ${res.status} for ${scopes.join(' ')}`, { status: res.status });
        }
        let doc;
        try {
            doc = JSON.parse(text);
        }
        catch {
            throw new RegistryError(`${this.o.registry}: the token server did not answer with JSON`);
        }
        const value = doc.token || doc.access_token;
        if (!value)
            throw new RegistryError(`${this.o.registry}: the token server's answer has no token`);
        this.o.mask(value);
        const lifetime = (doc.expires_in && doc.expires_in > 0 ? doc.expires_in : 60) * 1000;
        const issued = doc.issued_at ? Date.parse(doc.issued_at) : NaN;
        const base = Number.isNaN(issued) ? issuedBefore : Math.min(issued, issuedBefore);
        const t = { value, scopes, expiresAt: base + lifetime };
        this.o.logger.debug(`${this.o.registry}: token for ${scopes.join(' ')} (valid ${Math.round(lifetime / 1000)} s)`);
        this.tokens.push(t);
        return t;
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
;// CONCATENATED MODULE: ./src/lib/logger.ts
/** A Logger that keeps what it is told, for tests and for summaries. */
class RecordingLogger {
    records = [];
    debug(message) {
        this.records.push({ level: 'debug', message });
    }
    info(message) {
        this.records.push({ level: 'info', message });
    }
    warning(message, properties) {
        this.records.push({ level: 'warning', message, properties });
    }
    error(message, properties) {
        this.records.push({ level: 'error', message, properties });
    }
    async group(name, fn) {
        this.records.push({ level: 'group', message: name });
        return fn();
    }
    messages(level) {
        return this.records.filter(r => !level || r.level === level).map(r => r.message);
    }
}
/** A Logger that drops everything. */
const silentLogger = {
    debug: () => undefined,
    info: () => undefined,
    warning: () => undefined,
    error: () => undefined,
    group: async (_name, fn) => fn()
};

;// CONCATENATED MODULE: ./src/lib/registry/media.ts
/**
 * Media types and the shapes of the manifests the registry client reads and writes
 * (OCI image-spec 1.1 and Docker schema 2).
 */
const MEDIA = {
    ociManifest: 'application/vnd.oci.image.manifest.v1+json',
    ociIndex: 'application/vnd.oci.image.index.v1+json',
    dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
    ociConfig: 'application/vnd.oci.image.config.v1+json',
    dockerConfig: 'application/vnd.docker.container.image.v1+json',
    ociEmpty: 'application/vnd.oci.empty.v1+json'
};
/** What a manifest GET accepts: every manifest and index type this client understands. */
const MANIFEST_ACCEPT = [
    MEDIA.ociIndex,
    MEDIA.ociManifest,
    MEDIA.dockerList,
    MEDIA.dockerManifest
].join(', ');
function isIndexMediaType(mediaType) {
    return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}
function isIndex(m) {
    return Array.isArray(m.manifests);
}
/** The media type of manifest bytes: the header when given, else the document's own field, else by shape. */
function manifestMediaType(json, header) {
    const h = header?.split(';')[0]?.trim();
    if (h && h !== 'application/json' && h !== 'text/plain')
        return h;
    if (json.mediaType)
        return json.mediaType;
    return isIndex(json) ? MEDIA.ociIndex : MEDIA.ociManifest;
}
/** `linux/arm64/v8` → a Platform; undefined when not of the form os/arch[/variant]. */
function parsePlatform(s) {
    const parts = s.trim().split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some(p => !/^[a-z0-9_.-]+$/i.test(p)))
        return undefined;
    const [os, architecture, variant] = parts;
    return variant ? { os, architecture, variant } : { os, architecture };
}
function formatPlatform(p) {
    if (!p)
        return 'unknown';
    return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
/** The default variant a platform implies (containerd's normalisation): arm64 → v8, arm → v7. */
function normalizedVariant(p) {
    if (p.variant)
        return p.variant;
    if (p.architecture === 'arm64')
        return 'v8';
    if (p.architecture === 'arm')
        return 'v7';
    return undefined;
}
/** Whether `have` is the platform `want` asks for; `want` without a variant matches any variant. */
function platformMatches(want, have) {
    if (!have)
        return false;
    if (want.os !== have.os || want.architecture !== have.architecture)
        return false;
    if (!want.variant)
        return true;
    return normalizedVariant(want) === normalizedVariant(have);
}
/** The blobs and child manifests a manifest refers to. */
function children(m) {
    if (isIndex(m))
        return m.manifests;
    return [m.config, ...m.layers];
}

;// CONCATENATED MODULE: ./src/lib/registry/retry.ts
const DEFAULT_RETRY = {
    attempts: 6,
    baseDelayMs: 200,
    maxDelayMs: 10_000,
    maxRetryAfterMs: 60_000
};
/** Statuses worth another try: timeouts, throttling, and server errors (not 501). */
function isRetryableStatus(status) {
    return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}
const PERMANENT_NETWORK_CODES = new Set([
    'ENOTFOUND',
    'EAI_AGAIN',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'EPROTO'
]);
/** The system error code behind a fetch failure (`ECONNRESET`, `UND_ERR_SOCKET` …). */
function networkCode(e) {
    let cur = e;
    for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
        const code = cur.code;
        if (typeof code === 'string')
            return code;
        cur = cur.cause;
    }
    return undefined;
}
/** Whether a thrown fetch error is a connection problem worth another try. */
function isRetryableNetworkError(err) {
    // Not `instanceof Error`: fetch's errors may come from another realm (vm contexts, jest).
    if (!err || typeof err !== 'object' || typeof err.message !== 'string')
        return false;
    const e = err;
    if (e.name === 'AbortError')
        return false;
    const code = networkCode(e);
    if (code && PERMANENT_NETWORK_CODES.has(code))
        return false;
    return (e.name === 'TimeoutError' ||
        e.message === 'fetch failed' ||
        e.message.includes('terminated') ||
        e.message.includes('other side closed') ||
        !!code);
}
/** `Retry-After` in ms (seconds or an HTTP date), undefined when absent or unreadable. */
function parseRetryAfter(value, now = Date.now()) {
    if (!value)
        return undefined;
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v))
        return Math.round(Number(v) * 1000);
    const t = Date.parse(v);
    if (Number.isNaN(t))
        return undefined;
    return Math.max(0, t - now);
}
/** The wait before attempt `attempt + 1` (attempt counts from 1): exponential, with jitter. */
function backoffDelay(policy, attempt, retryAfterMs, random = Math.random) {
    if (retryAfterMs !== undefined)
        return Math.min(retryAfterMs, policy.maxRetryAfterMs);
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the ceiling, so retries spread without collapsing to zero.
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __nccwpck_require__(7067);
var external_node_http_default = /*#__PURE__*/__nccwpck_require__.n(external_node_http_);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __nccwpck_require__(7075);
;// CONCATENATED MODULE: ./src/lib/registry/transport.ts
/**
 * HTTP for the registry client over node:http/https with keep-alive agents. Not the global
 * fetch: its first use costs Node 20 a lazy load of its own HTTP stack (100-200 ms on a busy
 * runner), and node streams give the blob copy backpressure without web-stream overhead.
 * node:https (and TLS under it) is loaded on the first https request only: a run against
 * plain-HTTP registries never pays for it.
 */


/** A network error with a code, as node's own (`ETIMEDOUT` for our timeouts). */
class NetworkError extends Error {
    code;
    constructor(message, code) {
        super(message);
        this.name = 'NetworkError';
        this.code = code;
    }
}
class Headers {
    h;
    constructor(h) {
        this.h = h;
    }
    get(name) {
        const v = this.h[name.toLowerCase()];
        if (v === undefined)
            return null;
        return Array.isArray(v) ? v.join(', ') : v;
    }
    has(name) {
        return this.h[name.toLowerCase()] !== undefined;
    }
}
async function collect(r, limit = 64 * 1024 * 1024) {
    const chunks = [];
    let n = 0;
    for await (const c of r) {
        n += c.length;
        if (n > limit) {
            r.destroy();
            throw new NetworkError(`response body larger than ${limit} bytes`, 'E_TOO_LARGE');
        }
        chunks.push(c);
    }
    return Buffer.concat(chunks);
}
function wrap(res, url) {
    const status = res.statusCode ?? 0;
    return {
        status,
        ok: status >= 200 && status < 300,
        url: url.toString(),
        headers: new Headers(res.headers),
        body: res,
        buffer: () => collect(res),
        text: async () => (await collect(res)).toString('utf8'),
        json: async () => JSON.parse((await collect(res)).toString('utf8')),
        cancel: async () => {
            if (res.readableEnded || res.destroyed)
                return;
            // A small rest is read to keep the connection reusable; a large one is cut off.
            const len = Number(res.headers['content-length'] ?? NaN);
            if (len <= 64 * 1024) {
                res.resume();
                await new Promise(resolve => {
                    res.once('end', resolve);
                    res.once('close', resolve);
                    res.once('error', () => resolve());
                });
            }
            else
                res.destroy();
        }
    };
}
/** The default transport: node:http/https with keep-alive. */
function nodeTransport(o = {}) {
    const agentOptions = {
        keepAlive: true,
        maxSockets: o.maxSockets ?? 16,
        scheduling: 'lifo'
    };
    const plain = new (external_node_http_default()).Agent(agentOptions);
    let tls;
    const secure = () => (tls ??= Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 4708, 23)).then(m => ({
        mod: m.default,
        agent: new m.default.Agent(agentOptions)
    })));
    return async (req) => {
        const { mod, agent } = req.url.protocol === 'https:' ? await secure() : { mod: (external_node_http_default()), agent: plain };
        return new Promise((resolve, reject) => {
            let settled = false;
            const r = mod.request(req.url, { method: req.method, headers: req.headers, agent }, res => {
                settled = true;
                r.setTimeout(0);
                // No body to read (HEAD, 204, 304, empty): drain now so the socket returns to the pool.
                if (req.method === 'HEAD' ||
                    res.statusCode === 204 ||
                    res.statusCode === 304 ||
                    res.headers['content-length'] === '0')
                    res.resume();
                // Idle timeout while the body streams, so a stalled registry cannot hang a copy.
                const idle = Math.max(req.timeoutMs ?? 0, 120_000);
                res.setTimeout(idle, () => res.destroy(new NetworkError(`the body stalled for ${idle} ms`, 'ETIMEDOUT')));
                resolve(wrap(res, req.url));
            });
            const fail = (e) => {
                if (settled)
                    return;
                settled = true;
                reject(e);
            };
            r.on('error', fail);
            if (req.timeoutMs)
                r.setTimeout(req.timeoutMs, () => r.destroy(new NetworkError(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT')));
            const body = req.body;
            if (body instanceof external_node_stream_.Readable) {
                body.on('error', e => {
                    r.destroy(e);
                    fail(e);
                });
                body.pipe(r);
            }
            else {
                r.end(body);
            }
        });
    };
}

;// CONCATENATED MODULE: ./src/lib/registry/client.ts
/**
 * An OCI distribution client over node:http (transport.ts): manifests (raw bytes, verified digests),
 * blobs (existence, cross-repository mounts, streamed uploads), referrers, with the token
 * flow, retries and safe redirects. Shared by every stage that talks to a registry.
 */







/** Manifests larger than this are refused (distribution's own limit is 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
function isLoopback(registry) {
    return /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i.test(registry);
}
/** The digest of bytes with the algorithm of `like` (sha256 when not given). */
function digestOf(bytes, like = 'sha256:') {
    const algo = like.slice(0, like.indexOf(':')) || 'sha256';
    return `${algo}:${(0,external_node_crypto_.createHash)(algo).update(bytes).digest('hex')}`;
}
/** One registry host: base URL, auth state, the request loop. */
class RegistryHost {
    registry;
    apiHost;
    client;
    base;
    auth;
    /** Whether the host answers the OCI 1.1 referrers API (learned on first use). */
    referrersApi;
    constructor(registry, apiHost, client) {
        this.registry = registry;
        this.apiHost = apiHost;
        this.client = client;
        const plain = client.options.plainHttp ?? isLoopback;
        this.base = `${plain(apiHost) || plain(registry) ? 'http' : 'https'}://${apiHost}`;
        this.auth = new HostAuth({
            registry,
            credentials: client.options.credentials,
            logger: client.logger,
            mask: client.mask,
            send: (url, init) => this.withRetry(`token request to ${new URL(url).host}`, () => client.transport({
                method: init.method,
                url: new URL(url),
                headers: { 'user-agent': client.options.userAgent ?? 'gantry', ...init.headers },
                body: init.body,
                timeoutMs: client.timeoutMs
            }))
        });
    }
    url(path) {
        return `${this.base}${path}`;
    }
    /** Runs `attempt` until it gives a non-transient answer or the attempts run out. */
    async withRetry(what, attempt) {
        const p = this.client.policy;
        for (let n = 1;; n++) {
            let res;
            try {
                res = await attempt();
            }
            catch (e) {
                if (e instanceof RegistryError)
                    throw e;
                if (n < p.attempts && isRetryableNetworkError(e)) {
                    const d = backoffDelay(p, n);
                    this.client.stats.retries++;
                    this.client.logger.debug(`${what}: ${networkCode(e) ?? String(e.message)}; retry ${n}/${p.attempts - 1} in ${d} ms`);
                    await sleep(d);
                    continue;
                }
                throw unreachable(this.registry, what, e);
            }
            if (isRetryableStatus(res.status) && n < p.attempts) {
                const d = backoffDelay(p, n, parseRetryAfter(res.headers.get('retry-after')));
                this.client.stats.retries++;
                this.client.logger.debug(`${what}: HTTP ${res.status}; retry ${n}/${p.attempts - 1} in ${d} ms`);
                await discard(res);
                await sleep(d);
                continue;
            }
            return res;
        }
    }
    /** One request with auth (challenge, token, scope upgrade), redirects and retries. */
    async request(pathOrUrl, o) {
        const url = pathOrUrl.startsWith('http') ? pathOrUrl : this.url(pathOrUrl);
        const once = async () => {
            let scopes = [...o.scopes];
            for (let authTry = 0;; authTry++) {
                const authorization = await this.auth.header(scopes);
                const res = await this.client.send(url, { ...o, authorization });
                if (res.status !== 401 || authTry >= 3)
                    return res;
                const next = await this.auth.onUnauthorized(res, scopes, authorization);
                if (!next)
                    return res;
                await discard(res);
                scopes = next;
            }
        };
        if (o.retry === false)
            return once();
        return this.withRetry(o.what, once);
    }
}
function unreachable(registry, what, e) {
    if (e instanceof RegistryError)
        return e;
    const code = networkCode(e);
    const err = e;
    const msg = typeof err?.message === 'string' ? err.message : String(e);
    const cause = typeof err?.cause?.message === 'string' ? err.cause.message : '';
    return new RegistryError(`cannot reach the registry ${registry} (${what}): ${code ?? ''}${code ? ' ' : ''}${cause || msg}`.trim(), { code: 'UNREACHABLE' });
}
async function discard(res) {
    try {
        await res.cancel();
    }
    catch {
        /* already consumed or closed */
    }
}
/** Throws a RegistryError that says what was asked and what the registry answered. */
async function failure(res, what, registry) {
    const text = await res.text().catch(() => '');
    const detail = describeErrorBody(text);
    const tail = detail ? `: ${detail}` : '';
    if (res.status === 401)
        throw new AuthError(`${registry} refused ${what}: authentication required or credentials rejected (HTTP 401${tail})`, 401);
    if (res.status === 403)
        throw new AuthError(`${registry} denied ${what}: the credentials lack access (HTTP 403${tail})`, 403);
    if (res.status === 404)
        throw new NotFoundError(`${registry}: ${what}: not found (HTTP 404${tail})`);
    throw new RegistryError(`${registry} answered HTTP ${res.status} to ${what}${tail}`, {
        status: res.status
    });
}
class RegistryClient {
    options;
    logger;
    policy;
    mask;
    transport;
    timeoutMs;
    stats = { requests: 0, retries: 0 };
    hosts = new Map();
    constructor(options = {}) {
        this.options = options;
        this.logger = options.logger ?? silentLogger;
        this.policy = { ...DEFAULT_RETRY, ...options.retry };
        this.mask = options.mask ?? (() => undefined);
        this.transport = options.transport ?? nodeTransport();
        this.timeoutMs = options.requestTimeoutMs ?? 60_000;
    }
    host(registry) {
        let h = this.hosts.get(registry);
        if (!h) {
            const api = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
            h = new RegistryHost(registry, api, this);
            this.hosts.set(registry, h);
        }
        return h;
    }
    /** A repository handle; `push` asks for push access in the token flow. */
    repository(registry, repository, options = {}) {
        return new Repository(this.host(registry), repository, !!options.push);
    }
    /** One HTTP exchange with redirects followed safely (Authorization only to the same origin). */
    async send(url, o) {
        let current = new URL(url);
        const origin = current.origin;
        let method = o.method;
        for (let hop = 0; hop <= 5; hop++) {
            const headers = {
                'user-agent': this.options.userAgent ?? 'gantry',
                ...o.headers
            };
            if (o.authorization && current.origin === origin)
                headers.authorization = o.authorization;
            let body;
            if (o.bodyStream)
                body = o.bodyStream;
            else if (o.body !== undefined && method !== 'GET' && method !== 'HEAD')
                body = o.body;
            if (body === undefined && method !== 'GET' && method !== 'HEAD' && !headers['content-length'])
                headers['content-length'] = '0';
            this.stats.requests++;
            const res = await this.transport({
                method,
                url: current,
                headers,
                body,
                timeoutMs: o.timeoutMs ?? this.timeoutMs
            });
            const location = res.headers.get('location');
            if (o.followRedirects !== false &&
                [301, 302, 303, 307, 308].includes(res.status) &&
                location &&
                !o.bodyStream) {
                await discard(res);
                current = new URL(location, current);
                if (res.status === 303)
                    method = 'GET';
                this.logger.debug(`${o.what}: redirected to ${current.origin}${current.pathname}`);
                continue;
            }
            return res;
        }
        throw new RegistryError(`${o.what}: too many redirects`);
    }
}
/** One repository in one registry. */
class Repository {
    host;
    name;
    push;
    constructor(host, name, push) {
        this.host = host;
        this.name = name;
        this.push = push;
    }
    get registry() {
        return this.host.registry;
    }
    /** `registry/name`, for messages. */
    toString() {
        return `${this.host.registry}/${this.name}`;
    }
    get scopes() {
        return [repositoryScope(this.name, this.push)];
    }
    path(kind, ref) {
        return `/v2/${this.name}/${kind}/${ref}`;
    }
    /** GETs a manifest by tag or digest, keeping its exact bytes and checking their digest. */
    async getManifest(reference) {
        const what = `GET manifest ${this.name}${reference.includes(':') ? '@' : ':'}${reference}`;
        const res = await this.host.request(this.path('manifests', reference), {
            method: 'GET',
            scopes: this.scopes,
            headers: { accept: MANIFEST_ACCEPT },
            what
        });
        if (!res.ok)
            await failure(res, what, this.registry);
        const bytes = await res.buffer();
        if (bytes.length > MAX_MANIFEST_BYTES)
            throw new RegistryError(`${what}: the manifest is larger than 4 MiB`);
        const byDigest = reference.includes(':');
        const expected = byDigest ? reference : (res.headers.get('docker-content-digest') ?? undefined);
        const actual = digestOf(bytes, expected);
        if (expected && actual !== expected)
            throw new DigestMismatchError(`the manifest ${this}@${reference}`, expected, actual);
        let json;
        try {
            json = JSON.parse(bytes.toString('utf8'));
        }
        catch {
            throw new RegistryError(`${what}: the registry sent a manifest that is not JSON`);
        }
        return {
            digest: byDigest ? reference : digestOf(bytes),
            mediaType: manifestMediaType(json, res.headers.get('content-type')),
            bytes,
            json
        };
    }
    /** HEADs a manifest: its digest, media type and size, or undefined when absent. */
    async headManifest(reference) {
        const what = `HEAD manifest ${this.name}${reference.includes(':') ? '@' : ':'}${reference}`;
        const res = await this.host.request(this.path('manifests', reference), {
            method: 'HEAD',
            scopes: this.scopes,
            headers: { accept: MANIFEST_ACCEPT },
            what
        });
        if (res.status === 404)
            return undefined;
        if (!res.ok)
            await failure(res, what, this.registry);
        const digest = res.headers.get('docker-content-digest');
        if (!digest) {
            // Some registries leave the digest out of HEAD answers: fall back to GET.
            const m = await this.getManifest(reference);
            return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length };
        }
        return {
            digest,
            mediaType: (res.headers.get('content-type') ?? '').split(';')[0].trim(),
            size: Number(res.headers.get('content-length') ?? 0)
        };
    }
    /** PUTs the exact bytes of a manifest under a tag or its digest; checks the digest the registry computed. */
    async putManifest(reference, bytes, mediaType) {
        const what = `PUT manifest ${this.name}${reference.includes(':') ? '@' : ':'}${reference}`;
        const res = await this.host.request(this.path('manifests', reference), {
            method: 'PUT',
            scopes: this.scopes,
            headers: { 'content-type': mediaType },
            body: bytes,
            what
        });
        if (res.status !== 201 && res.status !== 200)
            await failure(res, what, this.registry);
        await discard(res);
        const expected = digestOf(bytes);
        const got = res.headers.get('docker-content-digest');
        if (got && got !== expected && got.startsWith('sha256:'))
            throw new DigestMismatchError(`the manifest stored at ${this}:${reference}`, expected, got);
        return { digest: expected, subjectIndexed: res.headers.has('oci-subject') };
    }
    async deleteManifest(digest) {
        const what = `DELETE manifest ${this.name}@${digest}`;
        const res = await this.host.request(this.path('manifests', digest), {
            method: 'DELETE',
            scopes: [`repository:${this.name}:delete`, ...this.scopes],
            what
        });
        if (res.status !== 202 && res.status !== 200 && res.status !== 404)
            await failure(res, what, this.registry);
        await discard(res);
    }
    /** Whether a blob exists here. */
    async hasBlob(digest) {
        const what = `HEAD blob ${this.name}@${digest}`;
        const res = await this.host.request(this.path('blobs', digest), {
            method: 'HEAD',
            scopes: this.scopes,
            what
        });
        await discard(res);
        if (res.status === 404)
            return false;
        if (res.ok)
            return true;
        return failure(res, what, this.registry);
    }
    /**
     * Mounts a blob from another repository of the same registry. Returns true when mounted;
     * otherwise the upload URL the registry opened instead (the fallback).
     */
    async mountBlob(digest, from) {
        const what = `mount blob ${digest} from ${from} into ${this.name}`;
        const q = new URLSearchParams({ mount: digest, from });
        const res = await this.host.request(`/v2/${this.name}/blobs/uploads/?${q}`, {
            method: 'POST',
            scopes: [...this.scopes, repositoryScope(from, false)],
            headers: { 'content-length': '0' },
            what
        });
        await discard(res);
        if (res.status === 201)
            return true;
        if (res.status === 202)
            return this.location(res, what);
        return failure(res, what, this.registry);
    }
    /** Abandons an upload session (best effort: the registry expires it anyway). */
    async cancelUpload(location) {
        try {
            const res = await this.host.request(location, {
                method: 'DELETE',
                scopes: this.scopes,
                retry: false,
                what: `cancel upload into ${this.name}`
            });
            await discard(res);
        }
        catch {
            /* the session expires on its own */
        }
    }
    /** Opens an upload session; returns its absolute URL. */
    async startUpload() {
        const what = `start upload into ${this.name}`;
        const res = await this.host.request(`/v2/${this.name}/blobs/uploads/`, {
            method: 'POST',
            scopes: this.scopes,
            headers: { 'content-length': '0' },
            what
        });
        await discard(res);
        if (res.status !== 202)
            return failure(res, what, this.registry);
        return this.location(res, what);
    }
    location(res, what) {
        const loc = res.headers.get('location');
        if (!loc)
            throw new RegistryError(`${this.registry} answered ${what} without a Location header`);
        return new URL(loc, this.host.base + '/').toString();
    }
    /**
     * Completes an upload session with the whole blob in one PUT (monolithic), streamed when
     * given a stream. A streamed body is never retried here: the caller restarts the copy.
     */
    async finishUpload(location, digest, body, size) {
        const what = `upload blob ${digest} into ${this.name}`;
        const url = new URL(location);
        url.searchParams.set('digest', digest);
        const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size) };
        let res;
        if (Buffer.isBuffer(body)) {
            res = await this.host.request(url.toString(), {
                method: 'PUT',
                scopes: this.scopes,
                headers,
                body,
                what
            });
        }
        else {
            const authorization = await this.host.auth.header(this.scopes);
            res = await this.host.client.send(url.toString(), {
                method: 'PUT',
                scopes: this.scopes,
                headers,
                bodyStream: body,
                authorization,
                timeoutMs: 0,
                followRedirects: false,
                what
            });
        }
        if (res.status !== 201)
            await failure(res, what, this.registry);
        await discard(res);
    }
    /** Uploads a small blob held in memory (configs, empty descriptors), unless present. */
    async pushBlob(bytes, digest = digestOf(bytes)) {
        if (await this.hasBlob(digest))
            return digest;
        const loc = await this.startUpload();
        await this.finishUpload(loc, digest, bytes, bytes.length);
        return digest;
    }
    /** GETs a blob; the body is the caller's to stream (and to hash). */
    async openBlob(digest) {
        const what = `GET blob ${this.name}@${digest}`;
        const res = await this.host.request(this.path('blobs', digest), {
            method: 'GET',
            scopes: this.scopes,
            timeoutMs: 0,
            what
        });
        if (res.status !== 200)
            await failure(res, what, this.registry);
        return res;
    }
    /** Reads a small blob whole and checks its digest. */
    async getBlob(digest) {
        const res = await this.openBlob(digest);
        const bytes = await res.buffer();
        const actual = digestOf(bytes, digest);
        if (actual !== digest)
            throw new DigestMismatchError(`the blob ${this}@${digest}`, digest, actual);
        return bytes;
    }
    /**
     * The manifests that refer to `digest` as their subject: through the referrers API
     * when the registry has it, else through the `sha256-<hex>` fallback tag. While it is not
     * yet known whether the registry has the API, the fallback tag is HEADed at the same time
     * (one round trip instead of two where the API is missing; a HEAD, so no manifest pull is
     * counted against rate limits), and only fetched when it exists.
     */
    async referrers(digest) {
        const what = `GET referrers of ${this.name}@${digest}`;
        if (this.host.referrersApi === false)
            return { api: false, descriptors: await this.fallbackReferrers(digest) };
        const fallback = this.host.referrersApi === undefined
            ? this.headManifest(referrersTag(digest)).then(h => (h ? 'present' : 'absent'), () => 'unknown')
            : undefined;
        const res = await this.host.request(this.path('referrers', digest), {
            method: 'GET',
            scopes: this.scopes,
            headers: { accept: MEDIA.ociIndex },
            what
        });
        const type = res.headers.get('content-type') ?? '';
        if (res.status === 200 && type.includes(MEDIA.ociIndex)) {
            const doc = (await res.json());
            this.host.referrersApi = true;
            return { api: true, descriptors: doc.manifests ?? [] };
        }
        await discard(res);
        if (res.status !== 404 && res.status !== 200 && res.status !== 405 && res.status !== 400)
            await failure(res, what, this.registry);
        this.host.referrersApi = false;
        if ((await fallback) === 'absent')
            return { api: false, descriptors: [] };
        return { api: false, descriptors: await this.fallbackReferrers(digest) };
    }
    /** The referrers listed under the fallback tag `sha256-<hex>`. */
    async fallbackReferrers(digest) {
        try {
            const m = await this.getManifest(referrersTag(digest));
            return m.json.manifests ?? [];
        }
        catch (e) {
            if (e instanceof NotFoundError)
                return [];
            throw e;
        }
    }
    /**
     * Adds descriptors to the fallback tag index of `digest` (read, add what is missing,
     * write back). Used where the registry lacks the referrers API.
     */
    async addFallbackReferrers(digest, add) {
        const current = await this.fallbackReferrers(digest);
        const missing = add.filter(d => !current.some(c => c.digest === d.digest));
        if (!missing.length)
            return;
        const index = {
            schemaVersion: 2,
            mediaType: MEDIA.ociIndex,
            manifests: [...current, ...missing]
        };
        await this.putManifest(referrersTag(digest), Buffer.from(JSON.stringify(index)), MEDIA.ociIndex);
    }
}
/** The OCI 1.1 referrers tag schema: `<alg>-<hex>` (truncated to 128 characters). */
function referrersTag(digest) {
    return digest.replace(':', '-').slice(0, 128);
}

;// CONCATENATED MODULE: ./src/lib/registry/copy.ts
/**
 * Copying content between repositories: blobs (skipped when present, mounted within one
 * registry, else streamed GET → upload with the digest checked on the fly) and manifest
 * trees (every blob and child manifest in place before the parent is written).
 */






function newCopyStats() {
    return {
        bytesCopied: 0,
        bytesMounted: 0,
        bytesExisting: 0,
        blobsCopied: 0,
        blobsMounted: 0,
        blobsExisting: 0,
        manifestsPut: 0
    };
}
/** At most `n` of the given tasks at once. */
async function limit(n, items, fn) {
    const out = new Array(items.length);
    let next = 0;
    let failed;
    const worker = async () => {
        while (next < items.length && failed === undefined) {
            const i = next++;
            try {
                out[i] = await fn(items[i]);
            }
            catch (e) {
                failed ??= e;
                throw e;
            }
        }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(n, items.length) }, worker));
    const bad = results.find(r => r.status === 'rejected');
    if (bad)
        throw failed ?? bad.reason;
    return out;
}
/** At most `n` holders at once; the rest wait in order. */
class Slots {
    free;
    waiting = [];
    constructor(n) {
        this.free = Math.max(1, n);
    }
    async run(fn) {
        if (this.free > 0)
            this.free--;
        else
            await new Promise(r => this.waiting.push(r));
        try {
            return await fn();
        }
        finally {
            const next = this.waiting.shift();
            if (next)
                next();
            else
                this.free++;
        }
    }
}
/**
 * Mount requests in flight at once within one registry. A mount moves no byte (one small
 * request), so it is not held to `concurrency`, which bounds the streams; a declined mount
 * that falls back to streaming takes a stream slot.
 */
const MOUNTS_AT_ONCE = 16;
/** An error of one blob attempt that a fresh attempt may cure. */
class TransientCopyError extends Error {
}
/** Copies content from one repository to another, each blob at most once. */
class Copier {
    src;
    dst;
    o;
    stats;
    inflight = new Map();
    concurrency;
    streams;
    attempts;
    constructor(src, dst, o) {
        this.src = src;
        this.dst = dst;
        this.o = o;
        this.stats = o.stats ?? newCopyStats();
        this.concurrency = o.concurrency ?? 4;
        this.streams = new Slots(this.concurrency);
        this.attempts = o.attempts ?? 5;
    }
    get sameRepository() {
        return this.src.registry === this.dst.registry && this.src.name === this.dst.name;
    }
    /** Makes one blob present at the destination. */
    blob(d) {
        const key = d.digest;
        let p = this.inflight.get(key);
        if (!p) {
            p = this.copyBlob(d);
            this.inflight.set(key, p);
            p.catch(() => this.inflight.delete(key));
        }
        return p;
    }
    existing(d) {
        this.stats.blobsExisting++;
        this.stats.bytesExisting += d.size;
    }
    /**
     * Within one registry the mount is asked for straight away: a 201 means the blob is in
     * place (mounted, or already there), so no HEAD is spent first. Only when the registry
     * declines the mount is the destination checked before any byte is uploaded. Across
     * registries the destination is checked first.
     */
    async copyBlob(d) {
        if (this.sameRepository)
            return this.existing(d);
        const sameRegistry = this.src.registry === this.dst.registry;
        let checked = false;
        if (!sameRegistry) {
            if (await this.dst.hasBlob(d.digest))
                return this.existing(d);
            checked = true;
        }
        for (let n = 1;; n++) {
            try {
                let location;
                if (sameRegistry) {
                    const m = await this.dst.mountBlob(d.digest, this.src.name);
                    if (m === true) {
                        this.stats.blobsMounted++;
                        this.stats.bytesMounted += d.size;
                        this.o.logger.debug(`mounted ${d.digest} (${d.size} bytes) from ${this.src.name}`);
                        return;
                    }
                    if (!checked) {
                        checked = true;
                        if (await this.dst.hasBlob(d.digest)) {
                            await this.dst.cancelUpload(m);
                            return this.existing(d);
                        }
                    }
                    this.o.logger.debug(`${this.dst.registry} did not mount ${d.digest}; uploading it`);
                    location = m;
                }
                else {
                    // Opened while the source answers the GET (stream() waits for both).
                    location = this.dst.startUpload();
                }
                await (sameRegistry
                    ? this.streams.run(() => this.stream(d, location))
                    : this.stream(d, location));
                this.stats.blobsCopied++;
                this.stats.bytesCopied += d.size;
                return;
            }
            catch (e) {
                const transient = e instanceof TransientCopyError ||
                    (!(e instanceof RegistryError) && isRetryableNetworkError(e)) ||
                    (e instanceof RegistryError && e.status !== undefined && isRetryableStatus(e.status));
                if (!transient || n >= this.attempts) {
                    if (e instanceof TransientCopyError)
                        throw new RegistryError(`copying blob ${d.digest} failed ${n} times: ${e.message}`);
                    throw e;
                }
                const wait = backoffDelay({ attempts: this.attempts, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000 }, n);
                this.o.logger.debug(`copy of blob ${d.digest} failed (${e.message}); attempt ${n + 1} in ${wait} ms`);
                await sleep(wait);
            }
        }
    }
    /** GET from the source piped into the upload, hashed as it passes; never held whole in memory. */
    async stream(d, upload) {
        const [opened, started] = await Promise.allSettled([this.src.openBlob(d.digest), upload]);
        if (opened.status === 'rejected') {
            if (started.status === 'fulfilled')
                await this.dst.cancelUpload(started.value);
            throw opened.reason;
        }
        const res = opened.value;
        if (started.status === 'rejected') {
            await discard(res);
            throw started.reason;
        }
        const location = started.value;
        const algo = d.digest.slice(0, d.digest.indexOf(':'));
        const hash = (0,external_node_crypto_.createHash)(algo);
        let n = 0;
        let mismatch;
        const from = new URL(res.url).host;
        const check = new external_node_stream_.Transform({
            transform(chunk, _enc, done) {
                hash.update(chunk);
                n += chunk.length;
                if (n > d.size) {
                    mismatch = new DigestMismatchError(`the blob ${d.digest} streamed from ${from}`, d.digest, `more than the ${d.size} bytes its descriptor declares`);
                    done(mismatch);
                    return;
                }
                done(null, chunk);
            },
            flush(done) {
                const actual = `${algo}:${hash.digest('hex')}`;
                if (actual !== d.digest || n !== d.size) {
                    mismatch = new DigestMismatchError(`the blob ${d.digest} streamed from ${from}`, d.digest, n !== d.size ? `${actual} (${n} of ${d.size} bytes)` : actual);
                }
                done(mismatch);
            }
        });
        (0,external_node_stream_.pipeline)(res.body, check, () => undefined);
        try {
            await this.dst.finishUpload(location, d.digest, check, d.size);
        }
        catch (e) {
            res.body.destroy();
            if (mismatch)
                throw mismatch;
            if (e instanceof RegistryError && e.status !== undefined && !isRetryableStatus(e.status)) {
                // The registry checks digests too: a DIGEST_INVALID answer is a mismatch.
                if (e.message.includes('DIGEST_INVALID'))
                    throw new DigestMismatchError(`the blob ${d.digest} streamed from ${from}`, d.digest, 'something else (the registry refused it)');
                throw e;
            }
            const m = e;
            throw new TransientCopyError(`${String(m?.message ?? e)}${typeof m?.cause?.message === 'string' ? ` (${m.cause.message})` : ''}`);
        }
        if (mismatch)
            throw mismatch;
    }
    /**
     * Makes a manifest and everything below it present at the destination, children first.
     * The manifest itself is written by digest only when `putSelf` (tags are the caller's).
     */
    async manifest(desc, putSelf) {
        if (!this.sameRepository) {
            const have = await this.dst.headManifest(desc.digest);
            if (have)
                return;
        }
        const m = await this.src.getManifest(desc.digest);
        await this.contents(m.json);
        if (putSelf && !this.sameRepository) {
            await this.dst.putManifest(desc.digest, m.bytes, m.mediaType);
            this.stats.manifestsPut++;
        }
    }
    /** Everything a manifest refers to, present at the destination. */
    async contents(json) {
        const refs = children(json);
        if (isIndex(json)) {
            await limit(this.concurrency, refs, c => this.manifest(c, true));
        }
        else {
            // Largest first: the long streams start at once, small blobs fill the gaps after.
            const bySize = [...refs].sort((a, b) => b.size - a.size);
            const sameRegistry = this.src.registry === this.dst.registry;
            await limit(sameRegistry ? Math.max(this.concurrency, MOUNTS_AT_ONCE) : this.concurrency, bySize, c => this.blob(c));
        }
    }
}

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = require("node:fs/promises");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = require("node:os");
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_namespaceObject);
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = require("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
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

;// CONCATENATED MODULE: ./src/lib/registry/credentials.ts
/**
 * Where registry credentials come from: explicit ones (action inputs) first, then the
 * Docker config that `docker login` and docker/login-action write
 * (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): `credHelpers` for the
 * host, then `auths` (`auth` base64 of user:password, or `username`/`password`, or an
 * `identitytoken`), then the default `credsStore`. Helpers run as
 * `docker-credential-<name> get` with the server on stdin.
 */





/** The keys Docker uses for Docker Hub in config.json. */
const HUB_KEYS = [
    'https://index.docker.io/v1/',
    'index.docker.io',
    'docker.io',
    'registry-1.docker.io'
];
/** The host part of a config.json key, which may be a URL (`https://host/v1/`). */
function configKeyHost(key) {
    let k = key.trim();
    k = k.replace(/^[a-z]+:\/\//i, '');
    const slash = k.indexOf('/');
    if (slash >= 0)
        k = k.slice(0, slash);
    return k.toLowerCase();
}
function isHub(registry) {
    return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(registry);
}
/** The config.json keys that name `registry`, best first. */
function keysFor(config, registry) {
    const want = registry.toLowerCase();
    const keys = Object.keys(config);
    if (isHub(want))
        return HUB_KEYS.filter(k => k in config);
    const exact = keys.filter(k => k.toLowerCase() === want);
    return [...exact, ...keys.filter(k => !exact.includes(k) && configKeyHost(k) === want)];
}
/** Decodes an `auth` field (base64 of `user:password`). */
function decodeAuth(auth) {
    const text = Buffer.from(auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i < 0)
        throw new RegistryError('a Docker config `auth` entry is not base64 of user:password');
    return { username: text.slice(0, i), password: text.slice(i + 1) };
}
function dockerConfigPath(env = process.env) {
    const dir = env.DOCKER_CONFIG || external_node_path_default().join(env.HOME || external_node_os_default().homedir(), '.docker');
    return external_node_path_default().join(dir, 'config.json');
}
async function readDockerConfig(file) {
    let text;
    try {
        text = await (0,promises_namespaceObject.readFile)(file, 'utf8');
    }
    catch {
        return undefined;
    }
    try {
        return JSON.parse(text);
    }
    catch {
        throw new RegistryError(`the Docker config ${file} is not valid JSON`);
    }
}
/** Runs `docker-credential-<helper> get` for a server; undefined when it has nothing. */
async function runCredentialHelper(helper, server) {
    if (!/^[A-Za-z0-9_.-]+$/.test(helper))
        throw new RegistryError(`the Docker config names an invalid credential helper ${JSON.stringify(helper)}`);
    const bin = `docker-credential-${helper}`;
    let r;
    try {
        r = await exec(bin, ['get'], { input: server, timeoutMs: 30_000 });
    }
    catch {
        throw new RegistryError(`the Docker config uses the credential helper ${bin}, which is not on PATH`);
    }
    if (r.code !== 0) {
        if (/credentials not found/i.test(r.stdout + r.stderr))
            return undefined;
        throw new RegistryError(`the credential helper ${bin} failed for ${server} (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
    let doc;
    try {
        doc = JSON.parse(r.stdout);
    }
    catch {
        throw new RegistryError(`the credential helper ${bin} printed something other than JSON`);
    }
    if (!doc.Secret)
        return undefined;
    if (doc.Username === '<token>')
        return { identityToken: doc.Secret };
    return { username: doc.Username ?? '', password: doc.Secret };
}
/** Credentials from a Docker config file, read once. */
function dockerConfigResolver(options = {}) {
    const file = options.file ?? dockerConfigPath(options.env);
    const helper = options.helper ?? runCredentialHelper;
    let config;
    return async (registry) => {
        config ??= readDockerConfig(file);
        const c = await config;
        if (!c)
            return undefined;
        const server = isHub(registry) ? HUB_KEYS[0] : registry;
        const helperName = c.credHelpers?.[registry] ?? c.credHelpers?.[server];
        if (helperName)
            return helper(helperName, server);
        const auths = c.auths ?? {};
        for (const key of keysFor(auths, registry)) {
            const e = auths[key];
            if (e.identitytoken)
                return { identityToken: e.identitytoken, username: e.username };
            if (e.auth)
                return decodeAuth(e.auth);
            if (e.username !== undefined && e.password !== undefined)
                return { username: e.username, password: e.password };
        }
        if (c.credsStore)
            return helper(c.credsStore, isHub(registry) ? server : registry);
        return undefined;
    };
}
/** The first resolver that has credentials wins. */
function chainResolvers(...resolvers) {
    return async (registry) => {
        for (const r of resolvers) {
            if (!r)
                continue;
            const c = await r(registry);
            if (c)
                return c;
        }
        return undefined;
    };
}
/** Fixed credentials for the given hosts. */
function staticResolver(entries) {
    return async (registry) => entries[registry] ?? (isHub(registry) ? entries['docker.io'] : undefined);
}

;// CONCATENATED MODULE: ./src/lib/registry/index.ts
/** The OCI registry client shared by every stage: see client.ts, copy.ts, credentials.ts. */








;// CONCATENATED MODULE: ./src/lib/records.ts

const PROMOTION_RECORD_TYPE = 'application/vnd.gantry.promotion.v1+json';
const EMPTY = Buffer.from('{}');
/** The run that is promoting, from the runner's environment (nothing when outside a runner). */
function runOf(env) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    const run = {
        repository: env.GITHUB_REPOSITORY || undefined,
        runId: env.GITHUB_RUN_ID || undefined,
        sha: env.GITHUB_SHA || undefined,
        actor: env.GITHUB_ACTOR || undefined,
        url: env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
            ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
            : undefined
    };
    return Object.values(run).some(v => v !== undefined) ? run : undefined;
}
/** Pushes `record` into `repo` as a referrer of its digest; returns the record's manifest digest. */
async function pushRecord(repo, record) {
    const head = await repo.headManifest(record.digest);
    if (!head)
        throw new NotFoundError(`${repo}@${record.digest} is not there to record`);
    const body = Buffer.from(JSON.stringify(record, null, 2) + '\n');
    const [emptyDigest, layerDigest] = await Promise.all([repo.pushBlob(EMPTY), repo.pushBlob(body)]);
    const annotations = {
        'org.opencontainers.image.created': record.promotedAt,
        'dev.gantry.environment': record.environment
    };
    const manifest = {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        artifactType: PROMOTION_RECORD_TYPE,
        config: { mediaType: MEDIA.ociEmpty, digest: emptyDigest, size: EMPTY.length },
        layers: [{ mediaType: PROMOTION_RECORD_TYPE, digest: layerDigest, size: body.length }],
        subject: { mediaType: head.mediaType, digest: head.digest, size: head.size },
        annotations
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const put = await repo.putManifest(digestOf(bytes), bytes, MEDIA.ociManifest);
    if (!put.subjectIndexed) {
        const d = {
            mediaType: MEDIA.ociManifest,
            digest: put.digest,
            size: bytes.length,
            artifactType: PROMOTION_RECORD_TYPE,
            annotations
        };
        await repo.addFallbackReferrers(record.digest, [d]);
    }
    return put.digest;
}
/** Every promotion record attached to `digest` in `repo`, oldest first; unreadable ones are skipped with a debug line. */
async function readRecords(repo, digest, logger) {
    const { descriptors } = await repo.referrers(digest);
    const mine = descriptors.filter(d => d.artifactType === PROMOTION_RECORD_TYPE || d.artifactType === undefined);
    const records = await Promise.all(mine.map(async (d) => {
        try {
            const m = await repo.getManifest(d.digest);
            const json = m.json;
            if (json.artifactType !== PROMOTION_RECORD_TYPE)
                return undefined;
            const layer = json.layers?.find(l => l.mediaType === PROMOTION_RECORD_TYPE);
            if (!layer)
                return undefined;
            const r = JSON.parse((await repo.getBlob(layer.digest)).toString('utf8'));
            return r.digest === digest && typeof r.environment === 'string' ? r : undefined;
        }
        catch (e) {
            logger?.debug(`skipping referrer ${d.digest} of ${repo}@${digest}: ${String(e)}`);
            return undefined;
        }
    }));
    return records
        .filter((r) => r !== undefined)
        .sort((a, b) => a.promotedAt.localeCompare(b.promotedAt));
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
        throw new errors_InputError(input, `expected a digest such as sha256:<64 lowercase hex digits>, got ${JSON.stringify(d)}`);
    return d;
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
    return core/* getInput */.V4(name, { trimWhitespace: trim });
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
        core/* setSecret */.Pq(v);
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
        throw new errors_InputError(name, `expected a whole number, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (bounds.min !== undefined && n < bounds.min) {
        throw new errors_InputError(name, `expected a number of at least ${bounds.min}, got ${n}`);
    }
    if (bounds.max !== undefined && n > bounds.max) {
        throw new errors_InputError(name, `expected a number of at most ${bounds.max}, got ${n}`);
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
            throw new InputError(name, `expected KEY=value in entry ${n + 1}`);
        return [line.slice(0, i).trim(), line.slice(i + 1)];
    });
}

;// CONCATENATED MODULE: ./src/promote/inputs.ts





/** Input and output names: the action's contract, spelled once. */
const INPUT = {
    source: 'source',
    destination: 'destination',
    platforms: 'platforms',
    noClobber: 'no-clobber',
    copyReferrers: 'copy-referrers',
    rollback: 'rollback',
    previous: 'previous',
    previousSuffix: 'previous-suffix',
    merge: 'merge',
    username: 'username',
    password: 'password',
    sourceUsername: 'source-username',
    sourcePassword: 'source-password',
    dockerConfig: 'docker-config',
    insecureRegistries: 'insecure-registries',
    concurrency: 'concurrency',
    retries: 'retries',
    environment: 'environment',
    environmentUrl: 'environment-url',
    githubToken: 'github-token',
    record: 'record',
    gatePassed: 'gate-passed'
};
const OUTPUT = {
    digest: 'digest',
    sourceDigest: 'source-digest',
    destinations: 'destinations',
    previousDigest: 'previous-digest',
    deploymentId: 'deployment-id',
    platforms: 'platforms',
    bytesCopied: 'bytes-copied',
    bytesMounted: 'bytes-mounted'
};
/** Parses `merge`: digests, or pinned references in the source repository. */
function parseMerge(rawValue, source) {
    return parseList(INPUT.merge, rawValue).map(entry => {
        if (isDigest(entry))
            return entry;
        if (/^[a-z0-9]+:/.test(entry) && !entry.includes('/') && !entry.includes('@'))
            return parseDigest(INPUT.merge, entry);
        const r = parseReference(INPUT.merge, entry);
        if (!r.digest)
            throw new errors_InputError(INPUT.merge, `expected digests (sha256:…) or repo@sha256:… references, got ${JSON.stringify(entry)}`);
        if (r.registry !== source.registry || r.repository !== source.repository)
            throw new errors_InputError(INPUT.merge, `${JSON.stringify(entry)} is not in the source repository ${source.registry}/${source.repository}; merge combines manifests of one repository`);
        return r.digest;
    });
}
/** Parses the inputs from a raw reader (pure: unit-tested without a runner). */
function parseInputs(r) {
    const source = parseReference(INPUT.source, r.get(INPUT.source) ||
        (() => {
            throw new errors_InputError(INPUT.source, 'is required: expected the image to promote, a reference pinned by digest (repo@sha256:…) or a tag to resolve once');
        })());
    const destRaw = r.get(INPUT.destination);
    if (!destRaw)
        throw new errors_InputError(INPUT.destination, 'is required: expected one or more image references (tags, other repositories or registries)');
    const destinations = parseList(INPUT.destination, destRaw).map(d => parseReference(INPUT.destination, d));
    if (!destinations.length)
        throw new errors_InputError(INPUT.destination, 'is required: expected at least one image reference');
    const platforms = parseList(INPUT.platforms, r.get(INPUT.platforms)).map(p => {
        const parsed = parsePlatform(p);
        if (!parsed)
            throw new errors_InputError(INPUT.platforms, `expected os/architecture[/variant] such as linux/arm64, got ${JSON.stringify(p)}`);
        return parsed;
    });
    const rollback = parseBoolean(INPUT.rollback, r.get(INPUT.rollback), false);
    const previousRaw = r.get(INPUT.previous);
    const previous = previousRaw ? parseDigest(INPUT.previous, previousRaw) : undefined;
    if (previous && !rollback)
        throw new errors_InputError(INPUT.previous, 'is only used with `rollback: true` (the digest to move the tags back to)');
    const previousSuffix = r.get(INPUT.previousSuffix);
    if (previousSuffix && !/^[\w.-]{1,64}$/.test(previousSuffix))
        throw new errors_InputError(INPUT.previousSuffix, `expected up to 64 letters, digits, _ . or -, got ${JSON.stringify(previousSuffix)}`);
    const merge = parseMerge(r.get(INPUT.merge), source);
    if (merge.length && rollback)
        throw new errors_InputError(INPUT.merge, 'cannot be combined with `rollback: true`');
    const username = r.get(INPUT.username);
    const password = r.secret(INPUT.password);
    if (!!username !== !!password)
        throw new errors_InputError(username ? INPUT.password : INPUT.username, `is required when \`${username ? INPUT.username : INPUT.password}\` is set`);
    const sourceUsername = r.get(INPUT.sourceUsername);
    const sourcePassword = r.secret(INPUT.sourcePassword);
    if (!!sourceUsername !== !!sourcePassword)
        throw new errors_InputError(sourceUsername ? INPUT.sourcePassword : INPUT.sourceUsername, `is required when \`${sourceUsername ? INPUT.sourceUsername : INPUT.sourcePassword}\` is set`);
    const environment = r.get(INPUT.environment);
    const gatePassed = r.get(INPUT.gatePassed);
    if (gatePassed && !environment)
        throw new errors_InputError(INPUT.gatePassed, 'needs `environment`: it is written in the promotion record of that environment');
    const envName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
    for (const [input, v] of [
        [INPUT.environment, environment],
        [INPUT.gatePassed, gatePassed]
    ])
        if (v && !envName.test(v))
            throw new errors_InputError(input, 'expected an environment name (letters, digits, `.`, `_`, `-`)');
    return {
        source,
        destinations,
        platforms,
        noClobber: parseBoolean(INPUT.noClobber, r.get(INPUT.noClobber), false),
        copyReferrers: parseBoolean(INPUT.copyReferrers, r.get(INPUT.copyReferrers), true),
        rollback,
        previous,
        previousSuffix,
        merge,
        username,
        password,
        sourceUsername,
        sourcePassword,
        dockerConfig: r.get(INPUT.dockerConfig),
        insecureRegistries: parseList(INPUT.insecureRegistries, r.get(INPUT.insecureRegistries)),
        concurrency: parseInteger(INPUT.concurrency, r.get(INPUT.concurrency), 4, { min: 1, max: 32 }),
        retries: parseInteger(INPUT.retries, r.get(INPUT.retries), 5, { min: 0, max: 20 }),
        environment,
        environmentUrl: r.get(INPUT.environmentUrl),
        githubToken: environment ? r.secret(INPUT.githubToken) : '',
        record: parseBoolean(INPUT.record, r.get(INPUT.record), true),
        gatePassed
    };
}
function getInputs() {
    return parseInputs({
        get: name => name === INPUT.source
            ? required(INPUT.source, 'the image to promote: a reference pinned by digest (repo@sha256:…) or a tag to resolve once')
            : raw(name),
        secret: secret
    });
}

;// CONCATENATED MODULE: ./src/promote/promote.ts
/**
 * Promotion: move one digest to tags, repositories and registries, never rebuilding,
 * never pulling through a daemon, never dropping a platform unless asked, and never
 * pointing a tag at incomplete content (every blob and child manifest is in place before
 * a tag is written). Rollback moves tags back to the digest recorded before they moved.
 */



function refText(r) {
    return formatReference(r);
}
/** Resolves the source once: its digest, exact bytes and media type. */
async function resolve(repo, ref) {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    try {
        return await repo.getManifest(reference);
    }
    catch (e) {
        if (e instanceof NotFoundError)
            throw new UserError(`The source ${refText(ref)} does not exist (no manifest ${reference} in ${repo}).`);
        throw e;
    }
}
/** The platform of a single image manifest, from its config blob. */
async function manifestPlatform(repo, m) {
    if (m.config.mediaType !== MEDIA.ociConfig && m.config.mediaType !== MEDIA.dockerConfig)
        return undefined;
    const config = JSON.parse((await repo.getBlob(m.config.digest)).toString('utf8'));
    if (!config.os || !config.architecture)
        return undefined;
    return {
        os: config.os,
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {})
    };
}
/** True for the attestation manifests buildx adds to an index (`unknown/unknown`). */
function attestationOf(d) {
    return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
        ? d.annotations['vnd.docker.reference.digest']
        : undefined;
}
/**
 * Keeps only the wanted platforms of an index (and the attestations of what is kept).
 * Returns the same bytes when nothing is dropped, so the digest does not change.
 */
function filterIndex(m, wanted) {
    const idx = m.json;
    const images = idx.manifests.filter(d => !attestationOf(d));
    const missing = wanted.filter(w => !images.some(d => platformMatches(w, d.platform)));
    if (missing.length) {
        throw new UserError(`Input \`platforms\`: the source has no ${missing.map(formatPlatform).join(', ')} image; it has ${images.map(d => formatPlatform(d.platform)).join(', ')}`);
    }
    const keptImages = images.filter(d => wanted.some(w => platformMatches(w, d.platform)));
    const keptDigests = new Set(keptImages.map(d => d.digest));
    const kept = idx.manifests.filter(d => keptDigests.has(d.digest) || keptDigests.has(attestationOf(d) ?? ''));
    if (kept.length === idx.manifests.length)
        return { bytes: m.bytes, digest: m.digest, kept };
    const out = { ...idx, manifests: kept };
    const bytes = Buffer.from(JSON.stringify(out, null, 2));
    return { bytes, digest: digestOf(bytes), kept };
}
/** Builds one index from per-platform manifests (a matrix build's digests). */
async function mergeIndex(repo, members, logger) {
    const entries = [];
    let useDocker = true;
    for (const digest of members) {
        const m = await repo.getManifest(digest).catch((e) => {
            if (e instanceof NotFoundError)
                throw new UserError(`Input \`merge\`: ${digest} does not exist in ${repo}`);
            throw e;
        });
        if (isIndex(m.json)) {
            for (const d of m.json.manifests)
                if (!entries.some(e => e.digest === d.digest))
                    entries.push(d);
            if (m.mediaType !== MEDIA.dockerList)
                useDocker = false;
            continue;
        }
        const platform = await manifestPlatform(repo, m.json);
        if (!platform)
            throw new UserError(`Input \`merge\`: ${digest} in ${repo} has no platform in its config (os/architecture)`);
        if (m.mediaType !== MEDIA.dockerManifest)
            useDocker = false;
        if (!entries.some(e => e.digest === m.digest))
            entries.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform });
    }
    const seen = new Map();
    for (const e of entries) {
        if (attestationOf(e))
            continue;
        const p = formatPlatform(e.platform);
        const other = seen.get(p);
        if (other && other !== e.digest)
            throw new UserError(`Input \`merge\`: two different images for ${p} (${other} and ${e.digest})`);
        seen.set(p, e.digest);
    }
    const mediaType = useDocker ? MEDIA.dockerList : MEDIA.ociIndex;
    const index = { schemaVersion: 2, mediaType, manifests: entries };
    const bytes = Buffer.from(JSON.stringify(index, null, 2));
    const put = await repo.putManifest(digestOf(bytes), bytes, mediaType);
    logger.info(`merged ${entries.length} manifests into ${put.digest} (${[...seen.keys()].join(', ')})`);
    return { digest: put.digest, mediaType, bytes, json: index };
}
function platformsOf(m, single) {
    if (isIndex(m.json))
        return m.json.manifests.filter(d => !attestationOf(d)).map(d => formatPlatform(d.platform));
    return single ? [formatPlatform(single)] : [];
}
const key = (r) => `${r.registry}/${r.name}`;
/** Marks a promise as handled now (it is awaited later), so an early failure is no unhandled rejection. */
function early(p) {
    p.catch(() => undefined);
    return p;
}
/**
 * The order of work, and what overlaps. Reads overlap freely; writes wait for every check:
 *   1. the source manifest GET, and meanwhile the HEAD of every destination tag;
 *   2. the checks (digest, no-clobber, platforms) — nothing is written before they pass;
 *   3. content: blobs (mounted within a registry, else streamed) and child manifests, while
 *      the referrers of the source are listed and the config is read for the summary;
 *      the manifest by digest only where a destination names no tag or referrers need
 *      their subject, then the referrers;
 *   4. tags last, each after every blob and child manifest is in place.
 */
async function promote(client, req, logger, hooks = {}) {
    const start = Date.now();
    const src = client.repository(req.source.registry, req.source.repository, {
        push: req.merge.length > 0
    });
    const stats = newCopyStats();
    // The source manifest is asked for first (everything waits for it); the destination
    // tags are read meanwhile (reads only: nothing is written before the checks).
    const fetched = req.merge.length ? undefined : early(resolve(src, req.source));
    const targets = req.destinations.map(ref => {
        const repo = client.repository(ref.registry, ref.repository, { push: true });
        const before = ref.tag
            ? early(repo.headManifest(ref.tag).then(h => h?.digest))
            : Promise.resolve(undefined);
        return { ref, repo, before };
    });
    // The referrers of each subject, listed once (started as soon as a subject is known).
    const listed = new Map();
    const wantReferrers = req.copyReferrers && !req.rollback && targets.some(t => key(t.repo) !== key(src));
    const listReferrers = (digest) => {
        let p = listed.get(digest);
        if (!p) {
            p = early(src.referrers(digest).then(r => r.descriptors));
            listed.set(digest, p);
        }
        return p;
    };
    if (wantReferrers && req.source.digest && !req.merge.length)
        listReferrers(req.source.digest);
    // 1. The source, resolved once: only this digest is used from here on.
    const { top, sourceDigest, single } = await logger.group('Resolve the source', async () => {
        let m;
        if (req.merge.length) {
            const members = [...(req.source.digest ? [req.source.digest] : []), ...req.merge];
            m = await mergeIndex(src, [...new Set(members)], logger);
        }
        else {
            m = await fetched;
        }
        logger.info(`${refText(req.source)} → ${m.digest} (${m.mediaType})`);
        let single = Promise.resolve(undefined);
        let top = m;
        if (isIndex(m.json)) {
            if (req.platforms.length) {
                const f = filterIndex(m, req.platforms);
                top = {
                    digest: f.digest,
                    mediaType: m.mediaType,
                    bytes: f.bytes,
                    json: JSON.parse(f.bytes.toString('utf8'))
                };
                if (f.digest !== m.digest)
                    logger.info(`kept ${req.platforms.map(formatPlatform).join(', ')}: new index ${f.digest}`);
            }
        }
        else if (!req.rollback) {
            // The platform (from the config blob) is for the outputs and the summary; it gates
            // the writes only when `platforms` asks for one.
            single = early(manifestPlatform(src, m.json).catch(() => undefined));
            if (req.platforms.length) {
                const platform = await single;
                if (!req.platforms.some(w => platformMatches(w, platform)))
                    throw new UserError(`Input \`platforms\`: the source is a single ${formatPlatform(platform)} image, not ${req.platforms.map(formatPlatform).join(', ')}`);
            }
        }
        return { top, sourceDigest: m.digest, single };
    });
    const subjects = wantReferrers
        ? [top.digest, ...(isIndex(top.json) ? top.json.manifests.map(m => m.digest) : [])]
        : [];
    subjects.forEach(listReferrers);
    // 2. Every destination checked before anything is written.
    const dests = await logger.group('Check the destinations', async () => {
        const out = [];
        for (const { ref } of targets) {
            if (ref.digest && ref.digest !== top.digest && !req.rollback)
                throw new UserError(`Destination ${refText(ref)} names a digest other than the one promoted (${top.digest}).`);
        }
        for (const t of targets) {
            const { ref, repo } = t;
            const d = { ref, repo };
            if (ref.tag) {
                d.before = await t.before;
                logger.info(`${refText(ref)}: ${d.before ?? '(new tag)'}`);
                if (req.previousSuffix && !req.rollback) {
                    d.previousTag = `${ref.tag}${req.previousSuffix}`;
                    if (d.previousTag.length > 128)
                        throw new UserError(`The tag ${d.previousTag} (destination tag + \`previous-suffix\`) is longer than 128 characters.`);
                }
            }
            out.push(d);
        }
        if (!req.rollback && req.noClobber) {
            const clash = out.filter(d => d.before && d.before !== top.digest);
            if (clash.length)
                throw new UserError(`no-clobber: ${clash.map(d => `${refText(d.ref)} already points at ${d.before}`).join('; ')}, not at ${top.digest}; nothing was changed`);
        }
        return out;
    });
    if (req.rollback)
        return rollback(req, dests, sourceDigest, stats, logger, hooks, start);
    await hooks.beforeWrite?.(top.digest);
    // The manifests that tags are about to leave, read now (kept as `<tag><suffix>` later).
    const leaving = new Map();
    for (const d of dests)
        if (d.before && d.previousTag && d.before !== top.digest)
            leaving.set(d, early(d.repo.getManifest(d.before)));
    // 3. Content first: every blob and child manifest, then the manifest by digest, then referrers.
    let referrers = 0;
    await logger.group('Copy the content', async () => {
        const repos = new Map();
        for (const d of dests)
            repos.set(key(d.repo), d.repo);
        await Promise.all([...repos.values()].map(async (dst) => {
            const copier = new Copier(src, dst, { logger, concurrency: req.concurrency, stats });
            await copier.contents(top.json);
            const copyHere = wantReferrers && key(src) !== key(dst);
            // A tag PUT writes the same bytes, so the manifest goes in by digest only where a
            // destination has no tag, or where referrers of it will point at it.
            const untagged = dests.some(d => key(d.repo) === key(dst) && !d.ref.tag);
            const referred = copyHere && (await listReferrers(top.digest)).length > 0;
            if ((key(src) !== key(dst) || top.digest !== sourceDigest) && (untagged || referred)) {
                await dst.putManifest(top.digest, top.bytes, top.mediaType);
                stats.manifestsPut++;
            }
            if (copyHere)
                referrers = Math.max(referrers, await copyReferrers(copier, subjects, logger, listed));
        }));
        logger.info(`blobs: ${stats.blobsCopied} copied (${stats.bytesCopied} bytes), ${stats.blobsMounted} mounted (${stats.bytesMounted} bytes), ${stats.blobsExisting} already there`);
    });
    // 4. Tags last: keep what each pointed at, then move it.
    const results = await logger.group('Move the tags', async () => {
        const out = [];
        for (const d of dests) {
            const base = {
                reference: refText(d.ref),
                pinned: pinned(d.ref, top.digest),
                tag: d.ref.tag,
                before: d.before,
                after: top.digest,
                changed: false
            };
            if (!d.ref.tag) {
                out.push({ ...base, changed: true });
                continue;
            }
            if (d.before === top.digest) {
                logger.info(`${refText(d.ref)} already points at ${top.digest}`);
                out.push(base);
                continue;
            }
            const prev = leaving.get(d);
            if (d.before && d.previousTag && prev) {
                const m = await prev;
                await d.repo.putManifest(d.previousTag, m.bytes, m.mediaType);
                logger.info(`${repositoryName(d.ref)}:${d.previousTag} → ${d.before} (kept for rollback)`);
            }
            await d.repo.putManifest(d.ref.tag, top.bytes, top.mediaType);
            logger.info(`${refText(d.ref)} → ${top.digest}${d.before ? ` (was ${d.before})` : ''}`);
            out.push({ ...base, changed: true, previousTag: d.before ? d.previousTag : undefined });
        }
        return out;
    });
    return {
        mode: 'promote',
        sourceDigest,
        digest: top.digest,
        mediaType: top.mediaType,
        platforms: platformsOf(top, await single),
        destinations: results,
        referrers,
        stats,
        durationMs: Date.now() - start
    };
}
/** Copies the artifacts that refer to each subject (signatures, SBOMs, attestations). */
async function copyReferrers(copier, subjects, logger, listed, depth = 0) {
    if (depth > 2)
        return 0;
    let n = 0;
    const lists = subjects.map(s => {
        let p = listed.get(s);
        if (!p) {
            p = early(copier.src.referrers(s).then(r => r.descriptors));
            listed.set(s, p);
        }
        return p;
    });
    for (const [i, subject] of subjects.entries()) {
        const descriptors = await lists[i];
        if (!descriptors.length)
            continue;
        const written = [];
        let indexed = true;
        for (const d of descriptors) {
            const m = await copier.src.getManifest(d.digest);
            await copier.contents(m.json);
            const put = await copier.dst.putManifest(d.digest, m.bytes, m.mediaType);
            indexed &&= put.subjectIndexed;
            written.push(d);
            n++;
        }
        if (!indexed)
            await copier.dst.addFallbackReferrers(subject, written);
        logger.info(`copied ${written.length} referrer(s) of ${subject}`);
        n += await copyReferrers(copier, written.map(w => w.digest), logger, listed, depth + 1);
    }
    return n;
}
async function rollback(req, dests, sourceDigest, stats, logger, hooks, start) {
    const plan = await logger.group('Plan the rollback', async () => {
        const out = [];
        for (const d of dests) {
            if (!d.ref.tag)
                throw new UserError(`rollback: the destination ${refText(d.ref)} has no tag to move back.`);
            let target = req.previous;
            if (!target) {
                if (!req.previousSuffix)
                    throw new UserError('rollback: `previous-suffix` is empty, so no previous digest was recorded; pass `previous`.');
                target = (await d.repo.headManifest(`${d.ref.tag}${req.previousSuffix}`))?.digest;
                if (!target)
                    throw new UserError(`rollback: no previous digest recorded for ${refText(d.ref)} (the tag ${d.ref.tag}${req.previousSuffix} does not exist); pass \`previous\`.`);
            }
            if (d.before !== target && d.before !== sourceDigest)
                throw new UserError(`rollback: ${refText(d.ref)} points at ${d.before ?? 'nothing'}, not at the source digest ${sourceDigest}; someone moved it since, so it is left alone.`);
            out.push({ ...d, target });
        }
        return out;
    });
    await hooks.beforeWrite?.(plan[0]?.target ?? sourceDigest);
    const results = await logger.group('Move the tags back', async () => {
        const out = [];
        for (const d of plan) {
            const base = {
                reference: refText(d.ref),
                pinned: pinned(d.ref, d.target),
                tag: d.ref.tag,
                before: d.before,
                after: d.target,
                changed: false
            };
            if (d.before === d.target) {
                logger.info(`${refText(d.ref)} already points at ${d.target}`);
                out.push(base);
                continue;
            }
            const m = await d.repo.getManifest(d.target).catch((e) => {
                if (e instanceof NotFoundError)
                    throw new UserError(`rollback: ${d.target} does not exist in ${d.repo}; it cannot be restored.`);
                throw e;
            });
            await d.repo.putManifest(d.ref.tag, m.bytes, m.mediaType);
            stats.manifestsPut++;
            logger.info(`${refText(d.ref)} → ${d.target} (rolled back from ${d.before})`);
            out.push({ ...base, changed: true });
        }
        return out;
    });
    return {
        mode: 'rollback',
        sourceDigest,
        digest: plan[0]?.target ?? sourceDigest,
        mediaType: '',
        platforms: [],
        destinations: results,
        referrers: 0,
        stats,
        durationMs: Date.now() - start
    };
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

;// CONCATENATED MODULE: ./src/promote/summary.ts

const summary_short = (d) => (d ? code(d.slice(0, 19) + '…') : '(none)');
/** The job summary of a promotion or rollback. */
function summarize(r, source, deploymentId) {
    const s = r.stats;
    const rows = [
        ['Source', code(source)],
        ['Source digest', code(r.sourceDigest)],
        [r.mode === 'rollback' ? 'Restored digest' : 'Promoted digest', code(r.digest)],
        ['Platforms', r.platforms.length ? r.platforms.join(', ') : '—'],
        ['Blobs copied', `${s.blobsCopied} (${formatBytes(s.bytesCopied)})`],
        ['Blobs mounted', `${s.blobsMounted} (${formatBytes(s.bytesMounted)})`],
        ['Blobs already there', `${s.blobsExisting} (${formatBytes(s.bytesExisting)})`],
        ['Referrers copied', String(r.referrers)],
        ['Duration', formatDuration(r.durationMs)]
    ];
    if (deploymentId)
        rows.push(['Deployment', String(deploymentId)]);
    let md = heading(r.mode === 'rollback' ? 'promote: rollback' : 'promote') + table(['', ''], rows);
    md +=
        '\n' +
            heading('Destinations', 3) +
            table(['Destination', 'Before', 'After', 'Changed', 'Kept as'], r.destinations.map(d => [
                code(d.reference),
                summary_short(d.before),
                summary_short(d.after),
                d.changed ? 'yes' : 'no (already there)',
                d.previousTag ? code(d.previousTag) : ''
            ]));
    return md;
}

;// CONCATENATED MODULE: ./src/promote/main.ts










/** The registry client for the inputs: explicit credentials, then the Docker config. */
function clientFor(inputs, logger, mask) {
    const explicit = {};
    if (inputs.sourceUsername)
        explicit[inputs.source.registry] = {
            username: inputs.sourceUsername,
            password: inputs.sourcePassword
        };
    if (inputs.username)
        for (const d of inputs.destinations)
            explicit[d.registry] = { username: inputs.username, password: inputs.password };
    const insecure = new Set(inputs.insecureRegistries);
    return new RegistryClient({
        logger,
        mask,
        credentials: chainResolvers(staticResolver(explicit), dockerConfigResolver(inputs.dockerConfig ? { file: external_node_path_default().join(inputs.dockerConfig, 'config.json') } : {})),
        plainHttp: host => isLoopback(host) || insecure.has(host),
        retry: { attempts: inputs.retries + 1 },
        userAgent: 'gantry-promote'
    });
}
/** The outputs of a promotion (deployment-id is added by execute). */
function outputsOf(r) {
    return {
        [OUTPUT.digest]: r.digest,
        [OUTPUT.sourceDigest]: r.sourceDigest,
        [OUTPUT.destinations]: r.destinations.map(d => d.pinned).join('\n'),
        [OUTPUT.previousDigest]: previousDigest(r),
        [OUTPUT.platforms]: r.platforms.join(','),
        [OUTPUT.bytesCopied]: String(r.stats.bytesCopied),
        [OUTPUT.bytesMounted]: String(r.stats.bytesMounted)
    };
}
function previousDigest(r) {
    return r.mode === 'rollback'
        ? (r.destinations.find(d => d.before)?.before ?? '')
        : (r.destinations.find(d => d.before && d.before !== d.after)?.before ?? '');
}
/** Pushes a promotion record to each destination repository; a failure is a warning (the tags already moved). */
async function recordPromotion(client, inputs, r, ctx) {
    const repos = new Map();
    for (const d of inputs.destinations)
        repos.set(`${d.registry}/${d.repository}`, d);
    const record = {
        environment: inputs.environment,
        digest: r.digest,
        destinations: inputs.destinations.map(formatReference),
        source: formatReference(inputs.source),
        promotedAt: new Date().toISOString(),
        previousDigest: previousDigest(r) || undefined,
        gatePassed: inputs.gatePassed || undefined,
        rollback: r.mode === 'rollback' || undefined,
        run: runOf(ctx.env)
    };
    let pushed = 0;
    await Promise.all([...repos.values()].map(async (d) => {
        const repo = client.repository(d.registry, d.repository, { push: true });
        try {
            const digest = await pushRecord(repo, record);
            ctx.logger.info(`Promotion record for ${inputs.environment} pushed to ${repo}@${digest}`);
            pushed++;
        }
        catch (e) {
            ctx.logger.warning(`The promotion record for ${inputs.environment} could not be pushed to ${repo}: ${errorMessage(e)} (the tags did move; the drift report will flag this digest)`);
        }
    }));
    return pushed;
}
/** Promotes (or rolls back), records the promotion and the GitHub deployment. */
async function execute(inputs, ctx) {
    const { logger } = ctx;
    const client = clientFor(inputs, logger, ctx.mask);
    let deployment;
    const wantDeployment = !!inputs.environment && !!inputs.githubToken;
    let result;
    try {
        result = await promote(client, inputs, logger, {
            beforeWrite: async (digest) => {
                if (!wantDeployment)
                    return;
                const { startDeployment } = await __nccwpck_require__.e(/* import() */ 545).then(__nccwpck_require__.bind(__nccwpck_require__, 5545));
                deployment = await startDeployment({
                    token: inputs.githubToken,
                    environment: inputs.environment,
                    environmentUrl: inputs.environmentUrl || undefined,
                    digest,
                    source: formatReference(inputs.source),
                    destinations: inputs.destinations.map(formatReference),
                    rollback: inputs.rollback
                }, logger);
            }
        });
    }
    catch (e) {
        await deployment?.finish('failure', 'promotion failed').catch(() => undefined);
        throw e;
    }
    await deployment?.finish('success', `${result.destinations.length} tag(s) at ${result.digest}`);
    const recorded = inputs.environment && inputs.record ? await recordPromotion(client, inputs, result, ctx) : 0;
    return {
        outputs: {
            ...outputsOf(result),
            [OUTPUT.deploymentId]: deployment ? String(deployment.id) : ''
        },
        summary: summarize(result, formatReference(inputs.source), deployment?.id),
        result: { ...result, deploymentId: deployment?.id, recorded }
    };
}
async function run() {
    await runAction('promote', async () => {
        const inputs = getInputs();
        const ctx = stepContext();
        if (inputs.environment && !inputs.githubToken)
            ctx.logger.info('`github-token` is empty: no GitHub deployment is recorded');
        await report(await execute(inputs, ctx));
    });
}

;// CONCATENATED MODULE: ./src/promote/index.ts

void run();

module.exports = __webpack_exports__;
/******/ })()
;