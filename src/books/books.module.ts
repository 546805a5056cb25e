import { Module } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { BooksController } from './books.controller';
import { BooksService } from './books.service';
import { Book } from './entities/book.entity';

@Module({
  imports: [IdempotencyModule],
  controllers: [BooksController],
  providers: [
    BooksService,
    // The repository of DatabaseModule's one DataSource, under the token @InjectRepository(Book) reads.
    {
      provide: getRepositoryToken(Book),
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => dataSource.getRepository(Book),
    },
  ],
})
export class BooksModule {}
