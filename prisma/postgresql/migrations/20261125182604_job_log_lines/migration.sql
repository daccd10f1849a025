-- CreateTable
CREATE TABLE "JobLogLine" (
    "id" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "stream" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "text" TEXT NOT NULL,

    CONSTRAINT "JobLogLine_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "JobLogLine_jobId_seq_idx" ON "JobLogLine"("jobId", "seq");

-- AddForeignKey
ALTER TABLE "JobLogLine" ADD CONSTRAINT "JobLogLine_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
