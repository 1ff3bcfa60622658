import { ConflictException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Customer, RegisteredDatabase } from '#persistence';
import { hashSecret, newSecret, secretMatches } from '#contracts';
import type { ApiConfig } from '../config.js';
import { API_CONFIG } from '../tokens.js';

@Injectable()
export class TenancyService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** A new customer and its enrollment key, shown this once. */
  async createCustomer(name: string): Promise<{ customerId: string; enrollmentKey: string }> {
    const enrollmentKey = newSecret('rfe');
    const customer = await this.customers.save(
      this.customers.create({ name, enrollmentKeyHash: hashSecret(enrollmentKey) }),
    );
    return { customerId: customer.id, enrollmentKey };
  }

  /**
   * An agent registers a database with its customer's enrollment key and gets the database's secret, shown once.
   * An unknown customer and a wrong key get the same 401, so a stranger cannot learn which customers exist. The
   * customer's row is locked while its databases are counted, so parallel registrations cannot overshoot the limit.
   */
  async registerDatabase(customerId: string, enrollmentKey: string | undefined, name: string) {
    if (!enrollmentKey) throw new UnauthorizedException('missing "Authorization: Bearer <enrollment key>"');
    return this.customers.manager.transaction(async (tx) => {
      const customer = await tx.findOne(Customer, {
        where: { id: customerId.toLowerCase() },
        lock: { mode: 'pessimistic_write' },
      });
      if (!customer || !secretMatches(enrollmentKey, customer.enrollmentKeyHash))
        throw new UnauthorizedException(`this enrollment key does not open customer ${customerId}`);
      const count = await tx.countBy(RegisteredDatabase, { customerId: customer.id });
      if (count >= this.config.MAX_DATABASES_PER_CUSTOMER)
        throw new ConflictException(
          `customer ${customer.id} already has ${count} databases; it may have at most ${this.config.MAX_DATABASES_PER_CUSTOMER}`,
        );
      const secret = newSecret('rfs');
      const db = await tx.save(
        tx.create(RegisteredDatabase, { customerId: customer.id, name, secretHash: hashSecret(secret) }),
      );
      return { customerId: customer.id, databaseId: db.id, secret };
    });
  }
}
