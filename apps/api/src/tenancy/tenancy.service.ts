import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Customer, RegisteredDatabase } from '#persistence';
import { hashSecret, newSecret, secretMatches } from '../auth/secrets.js';

@Injectable()
export class TenancyService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    @InjectRepository(RegisteredDatabase) private readonly databases: Repository<RegisteredDatabase>,
  ) {}

  /** A new customer and its enrollment key, shown this once. */
  async createCustomer(name: string): Promise<{ customerId: string; enrollmentKey: string }> {
    const enrollmentKey = newSecret('rfe');
    const customer = await this.customers.save(this.customers.create({ name, enrollmentKeyHash: hashSecret(enrollmentKey) }));
    return { customerId: customer.id, enrollmentKey };
  }

  /** An agent registers a database with its customer's enrollment key and gets the database's secret, shown once. */
  async registerDatabase(customerId: string, enrollmentKey: string | undefined, name: string) {
    if (!enrollmentKey) throw new UnauthorizedException('missing "Authorization: Bearer <enrollment key>"');
    const customer = await this.customers.findOneBy({ id: customerId });
    if (!customer) throw new NotFoundException(`customer ${customerId} does not exist`);
    if (!secretMatches(enrollmentKey, customer.enrollmentKeyHash)) throw new UnauthorizedException('wrong enrollment key for this customer');
    const secret = newSecret('rfs');
    const db = await this.databases.save(this.databases.create({ customerId, name, secretHash: hashSecret(secret) }));
    return { customerId, databaseId: db.id, secret };
  }
}
