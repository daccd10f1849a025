-- CreateTable
CREATE TABLE "JobLogLine" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "jobId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "stream" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "text" TEXT NOT NULL,
    CONSTRAINT "JobLogLine_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "JobLogLine_jobId_seq_idx" ON "JobLogLine"("jobId", "seq");
