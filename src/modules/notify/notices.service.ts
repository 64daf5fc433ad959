import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { PlatformErrors } from '../../platform/errors.ts';
import type { Cursor } from '../../platform/http/pagination.ts';
import type { UserId } from '../../platform/ids.ts';
import type { Vault } from '../vault/index.ts';
import { noticeField, parseNoticeMessage } from './messenger.service.ts';
import type { NotifyDb } from './notify.tables.ts';
import { listNotices, markNoticeRead } from './outbox.repository.ts';
import { renderNotice } from './templates.ts';

export interface Notice {
  readonly id: string;
  readonly template: string;
  readonly title: string;
  readonly text: string;
  readonly createdAt: Date;
  readonly readAt: Date | null;
}

export interface NoticesDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly clock: Clock;
}

/** The in-app inbox, always scoped to the user asking: another user's notice is simply not there. */
export function createNotices(deps: NoticesDeps) {
  const db = deps.db as NotifyDb;
  return {
    /** The user's notices, newest first, decrypted for that user only (`limit + 1` rows, for paging). */
    async list(userId: UserId, page: { limit: number; after: Cursor | null }): Promise<Notice[]> {
      const rows = await listNotices(db, userId, page);
      const notices: Notice[] = [];
      for (const row of rows) {
        const message = parseNoticeMessage(
          await deps.vault.openOwn(deps.db, userId, noticeField(row.id), row.payloadEnc),
        );
        notices.push({
          id: row.id,
          template: row.template,
          ...renderNotice(message),
          createdAt: row.createdAt,
          readAt: row.readAt,
        });
      }
      return notices;
    },

    async markRead(userId: UserId, id: string): Promise<void> {
      if (!(await markNoticeRead(db, userId, id, deps.clock.now()))) {
        throw PlatformErrors.PLATFORM_NOT_FOUND('There is no such notice.');
      }
    },
  };
}

export type Notices = ReturnType<typeof createNotices>;
