import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { JwtVerifier } from '../auth/jwt-verifier';
import { Public } from '../auth/route-policy';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ShutdownState } from '../common/shutdown/shutdown-state';
import { ReplicaSet } from '../database/replicas/replica-set';
import { DatabaseReadiness } from './database-readiness';

/** Terminus' result; a failing check is answered as problem+json by the filter, not in this shape. */
const HEALTH_COMPONENTS = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', example: 'up' } },
    additionalProperties: true,
  },
};
const HEALTH_OK = (example: Record<string, { status: string }>) => ({
  description: 'Every check is up',
  schema: {
    type: 'object',
    required: ['status', 'info', 'error', 'details'],
    properties: {
      status: { type: 'string', enum: ['ok'], example: 'ok' },
      info: { ...HEALTH_COMPONENTS, example },
      error: { ...HEALTH_COMPONENTS, example: {} },
      details: { ...HEALTH_COMPONENTS, example },
    },
  },
});

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseReadiness,
    private readonly shutdown: ShutdownState,
    private readonly replicas: ReplicaSet,
    private readonly tokens: JwtVerifier,
  ) {}

  @Get('live')
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process is up and serving HTTP',
    description: 'Checks nothing else, so an orchestrator restarts the process only when it is stuck.',
  })
  @ApiOkResponse(HEALTH_OK({}))
  @ApiProblemResponses(500)
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  live(): HealthCheckResult {
    // Not through terminus: once shutdown begins it answers every check "shutting_down" (503).
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary:
      'Readiness: the database answers SELECT 1, the token issuer was reached, and the service is not shutting down',
    description:
      'A 503 names each failing dependency and its state in `detail`, e.g. `Not ready: database: unreachable` ' +
      '(or `timeout`, `failing`, `lifecycle: shutting down`, `auth: token issuer never reached ...`). Concurrent ' +
      'probes share one ping. Readiness depends on the primary only: `replicas` is always up and lists each read ' +
      'replica as up, lagging or down (why goes to the log); reads skip a replica that is not up.',
  })
  @ApiOkResponse(
    HEALTH_OK({
      lifecycle: { status: 'up' },
      database: { status: 'up' },
      replicas: { status: 'up', replicas: [{ name: 'replica-1', state: 'up' }] } as { status: string },
    }),
  )
  @ApiProblemResponses(500, 503)
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('lifecycle');
        return this.shutdown.isShuttingDown ? indicator.down({ state: 'shutting down' }) : indicator.up();
      },
      async () => {
        const indicator = this.indicators.check('database');
        const state = await this.database.check();
        return state === 'up' ? indicator.up() : indicator.down({ state });
      },
      () => {
        // Gating only before the issuer was ever reached: afterwards its cached keys keep verifying.
        const indicator = this.indicators.check('auth');
        const issuer = this.tokens.keys.status();
        if (issuer.state === 'never reached') {
          return indicator.down({
            state: `token issuer never reached, so bearer tokens cannot be checked (${issuer.reason})`,
          });
        }
        return indicator.up(
          issuer.state === 'up' && issuer.lastFailure
            ? { lastRefresh: `failed, cached keys in use (${issuer.lastFailure})` }
            : { issuer: issuer.state },
        );
      },
      // Reported, never gating: a replica that is down only sends reads elsewhere.
      () => this.indicators.check('replicas').up({ replicas: this.replicas.statuses() }),
    ]);
  }
}
