// The image's fix for Cachet 2.3's unauthenticated SQL injection (CVE-2021-39165): the patched
// SearchableTrait run on PHP as the API controllers call it, with the query string PHP parses from
// the published exploit's shape, against an Eloquent Builder stand-in that records what reaches
// where(). Upstream's trait (fixtures/cachet-2.3.15) is the control: it hands the exploit's
// [column, operator, value, boolean] array to where(), whose boolean Laravel writes into the SQL.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHET_IMAGE_DIR } from '../../helpers/cachet-php';

const PATCHED = join(CACHET_IMAGE_DIR, 'app/SearchableTrait.php');
const UPSTREAM = resolve(__dirname, '../../fixtures/cachet-2.3.15/SearchableTrait.php');

/** What where() receives when Component::search() gets the parsed query string (null: not called). */
function search(trait: string, queryString: string): unknown {
  const script = `
namespace Illuminate\\Database\\Eloquent { class Builder { public $wheres = []; public function where($w) { $this->wheres[] = $w; return $this; } } }
namespace {
  require ${JSON.stringify(trait)};
  // Cachet 2.3.15's Component model's searchable columns.
  class Component { use CachetHQ\\Cachet\\Models\\Traits\\SearchableTrait; protected $searchable = ['id', 'name', 'status', 'order', 'group_id', 'enabled'];
    public function search($q, $s) { return $this->scopeSearch($q, $s); } }
  parse_str($argv[1], $input);
  unset($input['sort'], $input['order'], $input['per_page']); // Binput::except(['sort', 'order', 'per_page'])
  $builder = (new Component())->search(new Illuminate\\Database\\Eloquent\\Builder(), $input);
  echo json_encode($builder->wheres ? $builder->wheres[0] : null);
}`;
  const result = spawnSync('php', ['-r', script, queryString], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`php failed: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout);
}

// The exploit's shape: one searchable key to pass upstream's check, and a numeric key whose array
// becomes where(column, operator, value, boolean) with the boolean holding SQL.
const EXPLOIT = 'name=x&1[0]=id&1[1]=%3D&1[2]=1&1[3]=or+sleep(5)+--+';

describe("the image's SearchableTrait", () => {
  it('keeps only searchable columns with scalar values: the exploit reaches where() as a plain equality', () => {
    expect(search(PATCHED, EXPLOIT)).toEqual({ name: 'x' });
  });

  it.each([
    ['an array value on a searchable column', 'name[]=x&name[]=y', null],
    ['only unknown columns', 'password=x&1[0]=id', null],
    ['nothing', '', null],
    ['two searchable columns', 'status=1&group_id=2', { status: '1', group_id: '2' }],
  ])('with %s passes %j', (_case, query, expected) => {
    expect(search(PATCHED, query)).toEqual(expected);
  });

  it("upstream's trait hands the exploit's SQL to where() (control)", () => {
    expect(search(UPSTREAM, EXPLOIT)).toEqual({ name: 'x', 1: ['id', '=', '1', 'or sleep(5) -- '] });
  });
});
