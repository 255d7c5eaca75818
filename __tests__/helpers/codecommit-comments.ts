// A stand-in for CodeCommit's pull request comments (PostCommentForPullRequest, AWS JSON 1.1), for
// the real AWS CLI to post to: moto has no pull requests. It holds the request to the API
// reference's contract: every required member, full commit ids that are the pull request's, a
// before commit other than the after commit, content neither empty nor over 10,240 characters, the
// repository the pull request belongs to; each refusal is the exception AWS names, as a 400.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PullRequest {
  readonly pullRequestId: string;
  readonly repositoryName: string;
  readonly sourceCommit: string;
  readonly destinationCommit: string;
}

export interface PostedComment {
  readonly pullRequestId: string;
  readonly repositoryName: string;
  readonly beforeCommitId: string;
  readonly afterCommitId: string;
  readonly content: string;
}

export interface CodeCommitComments {
  readonly endpoint: string;
  readonly comments: PostedComment[];
  /** Requests refused, as `<exception>: <message>`. */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Comments are limited to 10,240 characters (CommentContentSizeLimitExceededException). */
export const COMMENT_LIMIT = 10_240;
const TARGET = 'CodeCommit_20150413.PostCommentForPullRequest';

function refusal(body: Record<string, unknown>, pullRequests: readonly PullRequest[]): [string, string] | undefined {
  for (const member of ['pullRequestId', 'repositoryName', 'beforeCommitId', 'afterCommitId', 'content'] as const) {
    if (body[member] === undefined) {
      const exception = {
        pullRequestId: 'PullRequestIdRequiredException',
        repositoryName: 'RepositoryNameRequiredException',
        content: 'CommentContentRequiredException',
      }[member as string];
      return [exception ?? 'CommitIdRequiredException', `${member} is required`];
    }
  }
  const pr = pullRequests.find((p) => p.pullRequestId === body.pullRequestId);
  if (!pr) return ['PullRequestDoesNotExistException', `pull request ${String(body.pullRequestId)} does not exist`];
  if (body.repositoryName !== pr.repositoryName)
    return ['RepositoryNotAssociatedWithPullRequestException', `${String(body.repositoryName)} is not the pull request's repository`];
  for (const member of ['beforeCommitId', 'afterCommitId'] as const) {
    if (!/^[0-9a-f]{40}$/.test(String(body[member]))) return ['InvalidCommitIdException', `${member} is not a full commit id`];
  }
  if (body.beforeCommitId === body.afterCommitId) return ['BeforeCommitIdAndAfterCommitIdAreSameException', 'the before and after commit ids are the same'];
  if (body.beforeCommitId !== pr.destinationCommit || body.afterCommitId !== pr.sourceCommit)
    return ['CommitDoesNotExistException', "the commits are not the pull request's destination and source commits"];
  const content = String(body.content);
  if (content.length === 0) return ['CommentContentRequiredException', 'the comment is empty'];
  if ([...content].length > COMMENT_LIMIT) return ['CommentContentSizeLimitExceededException', `comments are limited to ${COMMENT_LIMIT} characters`];
  return undefined;
}

export async function startCodeCommitComments(pullRequests: readonly PullRequest[]): Promise<CodeCommitComments> {
  const comments: PostedComment[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== TARGET || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        refused.push(`UnknownOperationException: ${String(req.headers['x-amz-target'])}`);
        return reply(400, { __type: 'UnknownOperationException', message: 'only PostCommentForPullRequest is served here' });
      }
      const body = JSON.parse(text) as Record<string, unknown>;
      const problem = refusal(body, pullRequests);
      if (problem) {
        refused.push(`${problem[0]}: ${problem[1]}`);
        return reply(400, { __type: problem[0], message: problem[1] });
      }
      const comment = body as unknown as PostedComment;
      comments.push({ ...comment });
      reply(200, {
        ...comment,
        comment: { commentId: `comment-${comments.length}`, content: comment.content, authorArn: 'arn:aws:sts::123456789012:assumed-role/report/build' },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    comments,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
