"use strict";
exports.id = 545;
exports.ids = [545];
exports.modules = {

/***/ 5545:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   startDeployment: () => (/* binding */ startDeployment)
/* harmony export */ });
async function startDeployment(req, logger) {
    const github = await __webpack_require__.e(/* import() */ 329).then(__webpack_require__.bind(__webpack_require__, 1329));
    const octokit = github.getOctokit(req.token);
    const { owner, repo } = github.context.repo;
    const ref = process.env.GITHUB_SHA || github.context.sha;
    const created = await octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref,
        environment: req.environment,
        auto_merge: false,
        required_contexts: [],
        description: `${req.rollback ? 'Roll back' : 'Promote'} ${req.digest}`,
        payload: {
            digest: req.digest,
            source: req.source,
            destinations: req.destinations,
            rollback: req.rollback
        },
        production_environment: /^prod(uction)?$/i.test(req.environment)
    });
    const id = created.data.id;
    if (!id)
        throw new Error(`GitHub did not create a deployment (HTTP ${created.status})`);
    logger.info(`deployment ${id} for ${req.environment}`);
    const status = async (state, description) => {
        await octokit.rest.repos.createDeploymentStatus({
            owner,
            repo,
            deployment_id: id,
            state,
            description: description.slice(0, 140),
            environment: req.environment,
            ...(req.environmentUrl ? { environment_url: req.environmentUrl } : {}),
            log_url: `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${owner}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID ?? ''}`,
            auto_inactive: true
        });
    };
    await status('in_progress', `Moving ${req.destinations.length} tag(s) to ${req.digest}`);
    return { id, finish: status };
}


/***/ })

};
;