-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_EventTrigger" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "severities" TEXT NOT NULL DEFAULT '[]',
    "sources" TEXT NOT NULL DEFAULT '[]',
    "messagePattern" TEXT,
    "url" TEXT NOT NULL,
    "secret" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "lastFiredAt" DATETIME,
    "lastError" TEXT,
    "lastErrorAt" DATETIME,
    "failureCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_EventTrigger" ("createdAt", "enabled", "id", "lastFiredAt", "messagePattern", "name", "secret", "severities", "sources", "updatedAt", "url", "version") SELECT "createdAt", "enabled", "id", "lastFiredAt", "messagePattern", "name", "secret", "severities", "sources", "updatedAt", "url", "version" FROM "EventTrigger";
DROP TABLE "EventTrigger";
ALTER TABLE "new_EventTrigger" RENAME TO "EventTrigger";
CREATE UNIQUE INDEX "EventTrigger_name_key" ON "EventTrigger"("name");
CREATE INDEX "EventTrigger_enabled_idx" ON "EventTrigger"("enabled");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
