import { Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { RateLimitModule } from '../common/rate-limit.module';
import { RateLimitStorage } from '../common/rate-limit.storage';
import { appConfig, type AppConfig } from '../config/app.config';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { StartupError } from '../lib/startup-error';
import { AuthGuard } from './auth.guard';
import { CredentialFailures } from './credential-failures';
import { JwtVerifier } from './jwt-verifier';
import { routePolicies } from './route-policies';

/**
 * Access control: the bearer-token verifier (whose issuer keys load in the background, so the
 * service starts while the issuer is down) and the global guard configureApp applies.
 */
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(authConfig), ConfigModule.forFeature(appConfig), RateLimitModule],
  providers: [
    { provide: JwtVerifier, inject: [authConfig.KEY], useFactory: (config: AuthConfig) => new JwtVerifier(config) },
    {
      // Counted with the rate limit's storage, so only while it is on.
      provide: CredentialFailures,
      inject: [RateLimitStorage, appConfig.KEY, authConfig.KEY],
      useFactory: (storage: RateLimitStorage, app: AppConfig, auth: AuthConfig) =>
        app.throttle.enabled && auth.failureLimit > 0
          ? new CredentialFailures(storage, auth.failureLimit, app.throttle.ttlMs)
          : null,
    },
    AuthGuard,
  ],
  exports: [JwtVerifier, AuthGuard],
})
export class AuthModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly tokens: JwtVerifier,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const open = routePolicies(this.discovery, this.scanner, this.reflector).filter((r) => !r.policy);
    if (open.length > 0) {
      throw new StartupError(
        `Every route must declare an access policy (@Public, @ReadAccess or @RequiresScope); none on: ${open.map((r) => r.route).join(', ')}`,
      );
    }
    if (this.config.disabled) {
      this.logger.warn(
        'AUTH_DISABLED=true: no credential is checked, and anyone who can reach this port can create, change and delete every book',
      );
      return;
    }
    this.tokens.keys.start();
  }

  onApplicationShutdown(): void {
    this.tokens.keys.stop();
  }
}
