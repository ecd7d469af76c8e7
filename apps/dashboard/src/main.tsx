import './verify/buffer-global';
import { StrictMode, useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { clientFor, forgetKey, signIn, storedKey, type TallyClient } from './api';
import { ClientContext } from './ui';
import { Overview } from './pages/overview';
import { AccountPage, Accounts } from './pages/accounts';
import { JobPage, Jobs } from './pages/jobs';
import { Provers } from './pages/provers';
import { Settlement } from './pages/settlement';
import './styles.css';

/** The page for a hash route: #/, #/accounts/user/alice, #/jobs/<id>, #/provers, #/settlement. */
function route(hash: string) {
  const [section = '', ...rest] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (section) {
    case 'accounts':
      return rest.length >= 2 ? <AccountPage type={rest[0]} id={rest.slice(1).join('/')} /> : <Accounts />;
    case 'jobs':
      return rest[0] ? <JobPage id={rest[0]} /> : <Jobs />;
    case 'provers':
      return <Provers />;
    case 'settlement':
      return <Settlement />;
    default:
      return <Overview />;
  }
}

const SECTIONS = [
  ['', 'Overview'],
  ['accounts', 'Accounts'],
  ['jobs', 'Jobs'],
  ['provers', 'Provers'],
  ['settlement', 'Settlement'],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function SignIn({ onSignedIn }: { onSignedIn: (client: TallyClient) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(key));
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>Tally dashboard</h1>
      <form onSubmit={submit}>
        <label htmlFor="admin-key">Admin key</label>
        <input
          id="admin-key"
          type="password"
          autoComplete="off"
          placeholder="tly_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error && (
          <p className="error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <p className="muted">The key is kept in this tab only (session storage) and sent with each request.</p>
      </form>
    </main>
  );
}

function App() {
  const [client, setClient] = useState<TallyClient | null>(() => {
    const key = storedKey();
    return key ? clientFor(key) : null;
  });
  const hash = useHash();
  if (!client) return <SignIn onSignedIn={setClient} />;
  const section = hash.replace(/^#\/?/, '').split('/')[0];
  const signOut = () => {
    forgetKey();
    setClient(null);
  };
  return (
    <ClientContext.Provider value={client}>
      <header className="top">
        <a className="brand" href="#/">
          Tally
        </a>
        <nav>
          {SECTIONS.map(([path, name]) => (
            <a key={path} href={`#/${path}`} className={section === path ? 'current' : undefined}>
              {name}
            </a>
          ))}
        </nav>
        <button className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main className="page">{route(hash)}</main>
    </ClientContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
