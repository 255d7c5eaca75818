// A stand-in for GitHub's REST API "Create an issue comment" (POST
// /repos/{owner}/{repo}/issues/{issue_number}/comments; a pull request is an issue), for
// buildspecs/post-pull-request-report.sh to post to with curl. It holds the request to GitHub's
// contract: a User-Agent (GitHub refuses requests without one), the token as `Authorization:
// Bearer` or `token` (401 "Requires authentication" / "Bad credentials"), a JSON body (400
// "Problems parsing JSON") with a string `body` of at most 65,536 characters (422), an existing
// repository and pull request (404 "Not Found"); a comment is answered 201 with its `html_url`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** GitHub refuses a comment body over 65,536 characters ("Body is too long (maximum is 65536 characters)"). */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface GitHubComment {
  readonly repository: string;
  readonly pullRequest: number;
  readonly body: string;
  readonly accept: string | undefined;
}

export interface GitHubComments {
  /** The API's base URL, for GITHUB_API_URL. */
  readonly url: string;
  readonly comments: GitHubComment[];
  /** Requests refused, as `<status> <message>`. */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Serves `pullRequests` (`owner/repo#number`), taking comments made with `token`. */
export async function startGitHubComments(token: string, pullRequests: readonly string[]): Promise<GitHubComments> {
  const comments: GitHubComment[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const reply = (status: number, body: Record<string, unknown>) => {
        if (status >= 400) refused.push(`${status} ${String(body.message)}`);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (!req.headers['user-agent'])
        return reply(403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header' });
      const authorization = req.headers.authorization;
      if (!authorization) return reply(401, { message: 'Requires authentication' });
      if (authorization !== `Bearer ${token}` && authorization !== `token ${token}`) return reply(401, { message: 'Bad credentials' });
      const path = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !path || !pullRequests.includes(`${path[1]}#${path[2]}`)) return reply(404, { message: 'Not Found' });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return reply(400, { message: 'Problems parsing JSON' });
      }
      const comment = (body as { body?: unknown })?.body;
      if (typeof comment !== 'string' || comment.length === 0) return reply(422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.' });
      if ([...comment].length > GITHUB_COMMENT_LIMIT) return reply(422, { message: `Body is too long (maximum is ${GITHUB_COMMENT_LIMIT} characters)` });
      comments.push({ repository: path[1], pullRequest: Number(path[2]), body: comment, accept: req.headers.accept });
      const id = comments.length;
      reply(201, { id, body: comment, html_url: `https://github.com/${path[1]}/pull/${path[2]}#issuecomment-${id}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    comments,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
